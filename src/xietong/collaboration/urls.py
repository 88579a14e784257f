from django.urls import path

from . import (
    attachments_views,
    calendar_views,
    comments_views,
    follows_views,
    myday_views,
    shares_views,
    tasks_views,
    timeline_views,
    views,
)

app_name = "collaboration"

urlpatterns = [
    path("feed/", myday_views.feed, name="feed"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("collaboration/follow/", follows_views.toggle, name="follow"),
    path("collaboration/share/", shares_views.share, name="share"),
    path("collaboration/timeline/", timeline_views.timeline_view, name="timeline"),
    path("collaboration/comments/new/", comments_views.comment_create, name="comment_create"),
    path("collaboration/comments/panel/", comments_views.comment_panel, name="comment_panel"),
    path("collaboration/comments/<int:pk>/edit/", comments_views.comment_edit, name="comment_edit"),
    path("collaboration/comments/<int:pk>/delete/", comments_views.comment_delete, name="comment_delete"),
    path("collaboration/attachments/new/", attachments_views.attachment_upload, name="attachment_upload"),
    path("collaboration/attachments/panel/", attachments_views.attachment_panel, name="attachment_panel"),
    path(
        "collaboration/attachments/<int:pk>/download/",
        attachments_views.attachment_download,
        name="attachment_download",
    ),
    path(
        "collaboration/attachments/<int:pk>/preview/", attachments_views.attachment_preview, name="attachment_preview"
    ),
    path(
        "collaboration/attachments/<int:pk>/thumbnail/",
        attachments_views.attachment_thumbnail,
        name="attachment_thumbnail",
    ),
    path("collaboration/attachments/<int:pk>/delete/", attachments_views.attachment_delete, name="attachment_delete"),
    path("tasks/", tasks_views.task_list, name="tasks"),
    path("tasks/new/", tasks_views.task_create, name="task_create"),
    path("tasks/bulk/", tasks_views.task_bulk, name="task_bulk"),
    path("tasks/calendar/", calendar_views.calendar_page, name="calendar"),
    path("tasks/calendar.ics", calendar_views.calendar_ics, name="calendar_ics"),
    path("tasks/<int:pk>/", tasks_views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", tasks_views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/status/", tasks_views.task_status, name="task_status"),
    path("tasks/<int:pk>/history/", tasks_views.task_history, name="task_history"),
    path("tasks/<int:pk>/why/", tasks_views.task_why, name="task_why"),
]
