from .views import config, leads, public

app_name = "leads"

urlpatterns = [*config.urlpatterns, *leads.urlpatterns, *public.urlpatterns]
