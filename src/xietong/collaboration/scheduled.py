from datetime import timedelta

from xietong.core import scheduling

from . import tasks

scheduling.register(
    "send-task-reminders",
    tasks.send_task_reminders,
    every=timedelta(minutes=1),
    description="notify the people on each task whose reminder time has come",
)
scheduling.register(
    "send-email-digests",
    tasks.send_email_digests,
    every=timedelta(hours=1),
    description="e-mail the daily digest to those who chose it, once a day at XIETONG_DIGEST_HOUR",
)
