"""Every read of the organisation, visibility applied, related rows fetched up front."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.models import AuditEntry
from xietong.core.params import as_int
from xietong.core.visibility import remember_seen

from .models import AccessToken, BusinessUnit, Role, Team, TeamMembership, User, UserRole


def _seen_users(user: User) -> QuerySet[User]:
    """The ids of the users ``user`` sees: counts and member lists show no one else (a list, a count
    and a search agree)."""
    return User.objects.visible_to(user).values("id")


def business_unit_list(*, user: User, action: str = "view") -> QuerySet[BusinessUnit]:
    return (
        BusinessUnit.objects.visible_to(user, action)
        .annotate(
            team_count=Count("teams", distinct=True),
            user_count=Count("users", filter=Q(users__is_active=True, users__in=_seen_users(user)), distinct=True),
        )
        .order_by("code")
    )


def business_unit_get(*, user: User, pk: Any, action: str = "view") -> BusinessUnit:
    return BusinessUnit.objects.get_visible(user, pk, action)


def team_list(
    *,
    user: User,
    business_unit_id: int | None = None,
    action: str = "view",
    include_inactive: bool = False,
    with_managers: bool = False,
) -> QuerySet[Team]:
    qs = (
        Team.objects.visible_to(user, action)
        .select_related("business_unit", "parent")
        .annotate(
            member_count=Count("memberships", filter=Q(memberships__user__in=_seen_users(user)), distinct=True),
        )
    )
    if with_managers:
        qs = qs.prefetch_related(_managers_prefetch(user, "manager_links"))
    if business_unit_id:
        qs = qs.filter(business_unit_id=business_unit_id)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("business_unit__code", "path")


def team_get(*, user: User, pk: Any, action: str = "view") -> Team:
    return Team.objects.select_related("business_unit", "parent").get_visible(user, pk, action)


def _managers_prefetch(user: User, to_attr: str) -> Prefetch:
    """The managers of each team, among the users ``user`` sees."""
    return Prefetch(
        "memberships",
        queryset=TeamMembership.objects.filter(is_manager=True, user__in=_seen_users(user))
        .select_related("user")
        .order_by("user__username"),
        to_attr=to_attr,
    )


def team_members(*, team: Team, user: User) -> QuerySet[TeamMembership]:
    """The members of ``team`` that ``user`` sees."""
    return (
        team.memberships.filter(user__in=_seen_users(user))
        .select_related("user")
        .order_by("-is_manager", "user__username")
    )


def team_managers(*, team: Team, user: User, action: str = "view") -> list[User]:
    """The managers of ``team`` among the users ``user`` may take ``action`` on."""
    seen = User.objects.visible_to(user, action).values("id")
    managers = team.memberships.filter(is_manager=True, user__in=seen).select_related("user")
    return [m.user for m in managers.order_by("user__username")]


USER_ROW_FIELDS = (
    "id",
    "username",
    "display_name",
    "email",
    "mobile",
    "title",
    "is_active",
    "language",
    "last_login",
    "date_joined",
    "primary_team",
    "business_unit",
)
USER_ROLE_BADGES = (
    UserRole.objects.select_related("role", "business_unit")
    .only(
        "id",
        "user_id",
        "role_id",
        "business_unit_id",
        "role__name",
        "business_unit__code",
        "business_unit__name",
    )
    .order_by("id")
)


def _user_rows(qs: QuerySet[User]) -> QuerySet[User]:
    """Only the columns a list row shows (pages, the API and the export), with the role badges as
    ``role_badges``."""
    return (
        qs.select_related("primary_team", "business_unit")
        .only(
            *USER_ROW_FIELDS,
            "primary_team__name",
            "business_unit__code",
            "business_unit__name",
        )
        .prefetch_related(Prefetch("user_roles", queryset=USER_ROLE_BADGES, to_attr="role_badges"))
    )


def user_self(*, user: User) -> User:
    """The signed-in user's own row, as lists show it (everyone sees themselves)."""
    return _user_rows(User.objects.filter(pk=user.pk)).get()


def user_list(
    *,
    user: User,
    q: str = "",
    business_unit_id: int | None = None,
    team_id: int | None = None,
    role_id: int | None = None,
    is_active: bool | None = True,
    action: str = "view",
) -> QuerySet[User]:
    qs = _user_rows(User.objects.visible_to(user, action))
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(display_name__icontains=q) | Q(mobile__icontains=q) | Q(email__icontains=q)
        )
    if business_unit_id:
        qs = qs.filter(business_unit_id=business_unit_id)
    # Subqueries, not joins: a join on memberships or roles would need DISTINCT, which makes the
    # database sort every visible row before it can return the first page.
    if team_id:
        qs = qs.filter(pk__in=TeamMembership.objects.filter(team_id=team_id).values("user_id"))
    if role_id:
        qs = qs.filter(pk__in=UserRole.objects.filter(role_id=role_id).values("user_id"))
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return qs.order_by("username")


def user_get(*, user: User, pk: Any, action: str = "view") -> User:
    return User.objects.select_related("primary_team", "business_unit").get_visible(user, pk, action)


def user_memberships(*, target: User) -> QuerySet[TeamMembership]:
    return target.memberships.select_related("team", "team__business_unit").order_by("team__path")


def user_roles(*, target: User) -> QuerySet[UserRole]:
    return target.user_roles.select_related("role", "business_unit").order_by("role__name")


def role_list() -> QuerySet[Role]:
    return Role.objects.annotate(holder_count=Count("user_roles__user", distinct=True)).prefetch_related("permissions")


def role_get(*, pk: Any) -> Role:
    from xietong.core.errors import NotFound

    role = Role.objects.prefetch_related("permissions").filter(pk=as_int(pk, 0)).first()
    if role is None:
        raise NotFound()
    return role


def role_for_field(*, pk: Any, field: str) -> Role:
    """A role named in input (roles are configuration: no scope), or a field error."""
    role = Role.objects.filter(pk=pk).first()
    if role is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({field: _("No such %(record)s.") % {"record": Role._meta.verbose_name}})
    return role


def token_list(*, user: User) -> QuerySet[AccessToken]:
    return AccessToken.objects.filter(user=user).order_by("-created_at")


def audit_list(*, user: User, kind: str = "", actor_id: int | None = None) -> QuerySet[AuditEntry]:
    """The audit entries of the records ``user`` sees (``core.audit.visible_entries``)."""
    qs = audit.visible_entries(user).select_related("actor", "content_type")
    if kind:
        qs = qs.filter(kind=kind)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    return qs


# --- reads for the pages (tree, ancestors, the people picker, the audit filters) -------------


def team_tree(
    *, user: User, business_unit_id: int | None = None, root: Team | None = None, include_inactive: bool = False
) -> QuerySet[Team]:
    """Visible teams in tree order (materialised path), with member counts and managers
    (``team.manager_memberships``); below ``root`` only its sub-teams."""
    qs = team_list(user=user, business_unit_id=business_unit_id, include_inactive=include_inactive).prefetch_related(
        _managers_prefetch(user, "manager_memberships")
    )
    if root is not None:
        qs = qs.filter(path__startswith=root.path).exclude(pk=root.pk)
    return qs


def team_ancestors(*, user: User, team: Team) -> list[Team]:
    """The visible teams above ``team``, top first (for breadcrumbs)."""
    ids = team.ancestor_ids()
    by_id = Team.objects.visible_to(user).in_bulk(ids)
    remember_seen(user, Team, ids, by_id)  # the page links the parent team without asking again
    return [by_id[pk] for pk in ids if pk in by_id]


def audit_actors(*, user: User) -> QuerySet[User]:
    """The users who appear as actors in the entries ``user`` may read (for the audit filter)."""
    return User.objects.filter(pk__in=audit.visible_entries(user).values("actor_id")).order_by("username")


def business_unit_choices(*, user: User, action: str = "view") -> QuerySet[BusinessUnit]:
    """Active visible business units for pickers and filters (no counts)."""
    return BusinessUnit.objects.visible_to(user, action).filter(is_active=True).order_by("code")


def role_choices() -> QuerySet[Role]:
    return Role.objects.order_by("name")


def team_move_targets(*, user: User, team: Team) -> QuerySet[Team]:
    """Where ``team`` may move: active teams of its BU the user may edit, outside its own subtree."""
    return team_choices(user=user, business_unit_id=team.business_unit_id, action="edit").exclude(
        path__startswith=team.path
    )


def manager_candidates(*, user: User, team: Team) -> QuerySet[User]:
    """Active users of the team's BU that ``user`` may edit, plus those of its current managers
    (managers ``user`` cannot edit are neither offered nor touched)."""
    current = team.memberships.filter(is_manager=True).values("user_id")
    return (
        User.objects.visible_to(user, "edit")
        .filter(Q(is_active=True, business_unit_id=team.business_unit_id) | Q(pk__in=current))
        .order_by("username")
    )


def user_role_get(*, target: User, pk: Any) -> UserRole:
    """One role held by ``target`` (``NotFound`` when it is not theirs)."""
    from xietong.core.errors import NotFound

    user_role = target.user_roles.select_related("role", "business_unit").filter(pk=as_int(pk, 0)).first()
    if user_role is None:
        raise NotFound()
    return user_role


def team_choices(*, user: User, action: str = "view", business_unit_id: int | None = None) -> QuerySet[Team]:
    """Active visible teams for pickers and filters, in tree order per BU (no counts)."""
    qs = Team.objects.visible_to(user, action).filter(is_active=True).select_related("business_unit")
    if business_unit_id:
        qs = qs.filter(business_unit_id=business_unit_id)
    return qs.order_by("business_unit__code", "path")


# --- the global search (org/search.py): visible rows only, at most ``limit``, active first ----------


def user_search(*, user: User, q: str, limit: int) -> list[User]:
    """Visible users whose name, username, mobile or email contains ``q``."""
    return list(
        User.objects.visible_to(user)
        .filter(
            Q(display_name__icontains=q) | Q(username__icontains=q) | Q(mobile__icontains=q) | Q(email__icontains=q)
        )
        .select_related("primary_team", "business_unit")
        .only(
            "id",
            "username",
            "display_name",
            "is_active",
            "primary_team",
            "business_unit",
            "primary_team__name",
            "business_unit__name",
        )
        .order_by("-is_active", "username")[:limit]
    )


def team_search(*, user: User, q: str, limit: int) -> list[Team]:
    """Visible teams whose name contains ``q``."""
    return list(
        Team.objects.visible_to(user)
        .filter(name__icontains=q)
        .select_related("business_unit")
        .only("id", "name", "is_active", "business_unit", "business_unit__name")
        .order_by("-is_active", "business_unit__code", "path")[:limit]
    )


def business_unit_search(*, user: User, q: str, limit: int) -> list[BusinessUnit]:
    """Visible business units whose name or code contains ``q``."""
    return list(
        BusinessUnit.objects.visible_to(user)
        .filter(Q(name__icontains=q) | Q(code__icontains=q))
        .only("id", "code", "name", "is_active")
        .order_by("-is_active", "code")[:limit]
    )
