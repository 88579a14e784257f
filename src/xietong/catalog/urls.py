from .views import products

app_name = "catalog"

urlpatterns = [*products.urlpatterns]
