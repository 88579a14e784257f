from .views import analytics, board, forecast, lists, opportunities, processes

app_name = "pipeline"

urlpatterns = [
    *board.urlpatterns,
    *lists.urlpatterns,
    *opportunities.urlpatterns,
    *processes.urlpatterns,
    *forecast.urlpatterns,
    *analytics.urlpatterns,
]
