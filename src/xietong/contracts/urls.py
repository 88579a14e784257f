from . import views

app_name = "contracts"

urlpatterns = views.urlpatterns
