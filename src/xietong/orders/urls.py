from .views import urlpatterns

app_name = "orders"

__all__ = ["app_name", "urlpatterns"]
