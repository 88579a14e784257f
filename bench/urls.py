"""The app's URLs plus the bare reference views; used only inside the benchmark process."""

from django.urls import path

from bench.workloads.api_users_page import bare_users
from xietong.config.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("bench/bare/users", bare_users), *app_urlpatterns]
