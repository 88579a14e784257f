from django.contrib import admin
from django.urls import include, path

from xietong.collaboration import myday_views
from xietong.core import views as core_views

from .api import api

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
    path("", myday_views.my_day, name="home"),
    path("", include("xietong.core.urls")),
    path("", include("xietong.org.urls")),
    path("", include("xietong.collaboration.urls")),
    path("", include("xietong.customers.urls")),
    path("", include("xietong.leads.urls")),
    path("", include("xietong.imports.urls")),
    path("", include("xietong.catalog.urls")),
    path("", include("xietong.pipeline.urls")),
    path("", include("xietong.approvals.urls")),
    path("", include("xietong.quotes.urls")),
    path("", include("xietong.contracts.urls")),
    path("", include("xietong.orders.urls")),
    path("", include("xietong.receivables.urls")),
    path("", include("xietong.supply.urls")),
]
