"""Pages of the shared frame that belong to no domain: the global search."""

from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.search, name="search"),
]
