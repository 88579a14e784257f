"""Pages of the organisation and of the signed-in user.

``login`` and ``logout`` stay un-namespaced (``LOGIN_URL``); the home page ``home`` (My day) is
the collaboration app's, routed in config/urls.py;
the user's own pages live under ``accounts:``, the administration under ``org:``.
"""

from django.urls import include, path

from .views import account, people, records, roles, structure

account_patterns = [
    path("profile/", account.profile, name="profile"),
    path("access/", account.my_access, name="access"),
    path("password/", account.password_change, name="password_change"),
    path("tokens/", account.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", account.token_revoke, name="token_revoke"),
    path("language/", account.set_language, name="language"),
]


def _record_panels(prefix: str, kind: str) -> list:
    return [
        path(f"{prefix}/<int:pk>/history/", records.record_history, {"kind": kind}, name=f"{kind}_history"),
        path(f"{prefix}/<int:pk>/why/", records.record_why, {"kind": kind}, name=f"{kind}_why"),
    ]


org_patterns = [
    path("", structure.overview, name="overview"),
    path("group/edit/", structure.group_edit, name="group_edit"),
    path("business-units/new/", structure.bu_create, name="bu_create"),
    path("business-units/<int:pk>/", structure.bu_detail, name="bu_detail"),
    path("business-units/<int:pk>/edit/", structure.bu_edit, name="bu_edit"),
    path("business-units/<int:pk>/active/", structure.bu_set_active, name="bu_set_active"),
    *_record_panels("business-units", "bu"),
    path("teams/new/", structure.team_create, name="team_create"),
    path("teams/<int:pk>/", structure.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", structure.team_edit, name="team_edit"),
    path("teams/<int:pk>/move/", structure.team_move, name="team_move"),
    path("teams/<int:pk>/managers/", structure.team_managers, name="team_managers"),
    path("teams/<int:pk>/active/", structure.team_set_active, name="team_set_active"),
    *_record_panels("teams", "team"),
    path("users/", people.user_list, name="user_list"),
    path("users/export.xlsx", people.user_export, name="user_export"),
    path("users/new/", people.user_create, name="user_create"),
    path("users/<int:pk>/", people.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", people.user_edit, name="user_edit"),
    path("users/<int:pk>/move/", people.user_move, name="user_move"),
    path("users/<int:pk>/teams/", people.user_teams, name="user_teams"),
    path("users/<int:pk>/active/", people.user_set_active, name="user_set_active"),
    path("users/<int:pk>/password/", people.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/roles/new/", people.user_role_assign, name="user_role_assign"),
    path("users/<int:pk>/roles/<int:grant_pk>/revoke/", people.user_role_revoke, name="user_role_revoke"),
    *_record_panels("users", "user"),
    path("roles/", roles.role_list, name="role_list"),
    path("roles/new/", roles.role_create, name="role_create"),
    path("roles/<int:pk>/", roles.role_detail, name="role_detail"),
    path("roles/<int:pk>/edit/", roles.role_edit, name="role_edit"),
    path("roles/<int:pk>/delete/", roles.role_delete, name="role_delete"),
    path("roles/<int:pk>/history/", records.record_history, {"kind": "role"}, name="role_history"),
    path("audit/", roles.audit_log, name="audit"),
]

urlpatterns = [
    path("accounts/login/", account.login, name="login"),
    path("accounts/logout/", account.logout, name="logout"),
    path("accounts/", include((account_patterns, "accounts"))),
    path("org/", include((org_patterns, "org"))),
]
