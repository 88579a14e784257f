from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_list, name="list"),
    path("imports/new/", views.import_start, name="start"),
    path("imports/<int:pk>/", views.import_detail, name="detail"),
    path("imports/<int:pk>/errors/", views.import_errors, name="errors"),
    path("imports/<int:pk>/repeat/", views.import_repeat, name="repeat"),
]
