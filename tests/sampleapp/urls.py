from django.urls import include, path

from xietong.config.urls import urlpatterns as app_urlpatterns

from .views import deal_detail

urlpatterns = [
    path("sample/deals/<int:pk>/", deal_detail, name="sample_deal"),
    path("", include(app_urlpatterns)),
]
