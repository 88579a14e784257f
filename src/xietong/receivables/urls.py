from .views import urlpatterns as _pages

app_name = "receivables"

urlpatterns = [*_pages]
