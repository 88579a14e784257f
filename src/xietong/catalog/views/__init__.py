"""The pages (one module per area; each has its ``urlpatterns``)."""
