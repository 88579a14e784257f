from django.urls import path

from . import follows_views, views

app_name = "collaboration"

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("collaboration/follow/", follows_views.toggle, name="follow"),
]
