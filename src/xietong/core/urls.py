"""Pages of the shared frame that belong to no domain: the global search, saved views of lists."""

from django.urls import path

from . import saved_views_views, views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("saved-views/", saved_views_views.saved_view_save, name="saved_view_save"),
    path("saved-views/<int:pk>/delete/", saved_views_views.saved_view_delete, name="saved_view_delete"),
]
