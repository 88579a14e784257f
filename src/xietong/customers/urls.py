from .views import contacts, customers, duplicates, followups, pools

app_name = "customers"

urlpatterns = [
    *duplicates.urlpatterns,
    *pools.urlpatterns,
    *customers.urlpatterns,
    *contacts.urlpatterns,
    *followups.urlpatterns,
]
