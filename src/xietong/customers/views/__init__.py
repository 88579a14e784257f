"""The customers app's pages, one module per area (each exports ``urlpatterns``)."""
