from django.urls import path

from . import flow_views, views

app_name = "approvals"

urlpatterns: list = [
    path("approvals/", views.pending_list, name="pending"),
    path("approvals/submitted/", views.submitted_list, name="submitted"),
    path("approvals/<int:pk>/", views.request_detail, name="request_detail"),
    path("approvals/<int:pk>/decide/", views.decide, name="decide"),
    path("approvals/flows/", flow_views.flow_list, name="flow_list"),
    path("approvals/flows/new/<slug:code>/", flow_views.flow_create, name="flow_create"),
    path("approvals/flows/<int:pk>/edit/", flow_views.flow_edit, name="flow_edit"),
    path("approvals/flows/<int:pk>/active/", flow_views.flow_active, name="flow_active"),
    path("approvals/flows/<int:pk>/delete/", flow_views.flow_delete, name="flow_delete"),
    path("approvals/delegations/", flow_views.delegations, name="delegations"),
    path("approvals/delegations/<int:pk>/end/", flow_views.delegation_end, name="delegation_end"),
]
