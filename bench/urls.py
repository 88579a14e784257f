"""The app's URLs plus the bare reference views; used only inside the benchmark process."""

from django.urls import path

from bench.workloads.api_users_page import bare_users
from bench.workloads.crm_support import bare_customer_create, bare_sql_page
from xietong.config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/bare/users", bare_users),
    path("bench/bare/sql/<str:name>", bare_sql_page),
    path("bench/bare/customers", bare_customer_create),
    *app_urlpatterns,
]
