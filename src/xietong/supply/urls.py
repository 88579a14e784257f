"""The S&OP pages under ``/sop/``: master data and inventory (``views_master``), the monthly cycle and
forecasts (``views_plan``), the supply plan, planned orders, available-to-promise and charts
(``views_supply``)."""

from . import views_master, views_plan, views_supply

app_name = "supply"

urlpatterns = [*views_master.urlpatterns, *views_plan.urlpatterns, *views_supply.urlpatterns]
