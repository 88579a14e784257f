from django.urls import path

from . import comments_views, follows_views, views

app_name = "collaboration"

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("collaboration/follow/", follows_views.toggle, name="follow"),
    path("collaboration/comments/new/", comments_views.comment_create, name="comment_create"),
    path("collaboration/comments/panel/", comments_views.comment_panel, name="comment_panel"),
    path("collaboration/comments/<int:pk>/edit/", comments_views.comment_edit, name="comment_edit"),
    path("collaboration/comments/<int:pk>/delete/", comments_views.comment_delete, name="comment_delete"),
]
