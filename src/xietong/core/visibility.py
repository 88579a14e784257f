"""The one data-visibility mechanism (docs/subsystems/visibility.md).

Every query of business data starts from ``Model.objects.visible_to(user, action)``. The user's
roles give, per module, the actions they may take and a data scope; a model's *policy* turns those
grants (plus shares and memberships) into ``Rule`` objects, each a human-readable reason and a
``Q``. The queryset ORs the rules into one SQL predicate, so lists never check rows one by one,
and ``explain`` evaluates the same rules against one record to answer "why can I see this?".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import DataScope
from .errors import NotFound

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


@dataclass(frozen=True)
class Grant:
    """One role's permission on one module."""

    role_id: int
    role_name: str
    module: str
    actions: frozenset[str]
    scope: int
    business_unit_id: int | None  # the role is limited to this BU
    business_unit_name: str = ""


@dataclass(frozen=True)
class TeamLink:
    team_id: int
    path: str
    business_unit_id: int
    is_manager: bool
    name: str


@dataclass
class Access:
    """What a user's roles and memberships grant. Built with one query, once per request."""

    user_id: int | None
    grants: list[Grant] = field(default_factory=list)
    teams: list[TeamLink] = field(default_factory=list)
    # the rules each policy made of this access, by (policy's rule method, action): a request asks
    # the same policy several times (a record page: the record, its panels, the actions). The rules
    # are predicates with lazy subqueries, so a share or a deal-team member added later in the
    # request still counts; what they read of the access itself is fixed for the request anyway.
    rules_made: dict[tuple[Any, str], list[Rule]] = field(default_factory=dict, repr=False, compare=False)
    # which records a page links to the user sees, by (model, pk): asked once per model and page
    # (``seen_by``), so a name links to a record only when the link would not answer 404
    seen: dict[tuple[type[models.Model], Any], bool] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_user(cls, user: Any) -> Access:
        """One query: the role rows of the user's grants and their active team memberships, as one
        ``UNION ALL`` (the memberships padded to the grants' columns and told apart by ``kind``)."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls(user_id=None)
        from django.db.models import BooleanField, CharField, IntegerField, Value

        RolePermission = apps.get_model("org", "RolePermission")
        TeamMembership = apps.get_model("org", "TeamMembership")
        flags = ("view", "create", "edit", "delete", "export", "approve", "administer")
        roles = RolePermission.objects.filter(role__user_roles__user_id=user.pk).annotate(
            kind=Value(1, output_field=IntegerField())
        )
        role_rows = roles.values_list(
            "kind",
            "role_id",
            "role__name",
            "module",
            "scope",
            "role__user_roles__business_unit_id",
            "role__user_roles__business_unit__name",
            *(f"can_{name}" for name in flags),
        )
        off = {f"off_{name}": Value(False, output_field=BooleanField()) for name in flags[1:]}
        memberships = TeamMembership.objects.filter(user_id=user.pk, team__is_active=True).annotate(
            kind=Value(2, output_field=IntegerField()),
            no_scope=Value(0, output_field=IntegerField()),
            no_name=Value("", output_field=CharField()),
            **off,
        )
        team_rows = memberships.values_list(
            "kind",
            "team_id",
            "team__name",
            "team__path",
            "no_scope",
            "team__business_unit_id",
            "no_name",
            "is_manager",
            *off,
        )
        grants: list[Grant] = []
        teams: list[TeamLink] = []
        rows = role_rows.union(team_rows, all=True).order_by("kind", "role_id", "module")  # grants in role order
        for kind, key, name, text, scope, bu_id, bu_name, *bits in rows:
            if kind == 2:
                teams.append(
                    TeamLink(team_id=key, path=text, business_unit_id=bu_id, is_manager=bool(bits[0]), name=name)
                )
                continue
            actions = frozenset(action for action, on in zip(flags, bits, strict=True) if on)
            if not actions:
                continue  # a module row with everything off grants nothing
            grants.append(
                Grant(
                    role_id=key,
                    role_name=name,
                    module=text,
                    actions=actions,
                    scope=scope,
                    business_unit_id=bu_id,
                    business_unit_name=bu_name or "",
                )
            )
        return cls(user_id=user.pk, grants=grants, teams=teams)

    # -- questions ---------------------------------------------------------------------------
    def grants_for(self, module: str, action: str = "view") -> list[Grant]:
        return [g for g in self.grants if g.module == module and action in g.actions]

    def can(self, module: str, action: str = "view") -> bool:
        return bool(self.grants_for(module, action))

    def widest_scope(self, module: str, action: str, business_unit_id: int | None = None) -> int:
        """The widest scope this user holds for the action, across the group (``business_unit_id``
        None) or inside one BU — for "nobody grants more than they hold".

        A business-unit scope covers one BU: the one a role is limited to, else the user's own. So it
        counts fully only inside that BU; asked about the group as a whole, or about another BU, it
        counts as "team and sub-teams". A role limited to a BU counts not at all in other BUs, and its
        "whole group" is that BU.
        """
        best = 0
        for g in self.grants_for(module, action):
            scope = g.scope
            if g.business_unit_id is not None:
                if business_unit_id is not None and g.business_unit_id != business_unit_id:
                    continue
                scope = min(scope, DataScope.BUSINESS_UNIT)
                covered = business_unit_id is not None
            else:
                covered = business_unit_id is not None and business_unit_id in self.business_unit_ids
            if scope == DataScope.BUSINESS_UNIT and not covered:
                scope = DataScope.TEAM_TREE
            best = max(best, scope)
        return best

    @property
    def team_ids(self) -> list[int]:
        return [t.team_id for t in self.teams]

    @property
    def team_and_ancestor_ids(self) -> list[int]:
        """The user's teams and every team above them: a group given to a team (a pool's member
        teams) includes the people of its sub-teams."""
        ids = {t.team_id for t in self.teams}
        for link in self.teams:
            ids.update(int(part) for part in link.path.strip("/").split("/")[1:] if part.isdigit())
        return sorted(ids)

    @property
    def business_unit_ids(self) -> list[int]:
        return sorted({t.business_unit_id for t in self.teams})

    @property
    def managed_paths(self) -> list[str]:
        return [t.path for t in self.teams if t.is_manager]

    def scope_business_units(self, grant: Grant) -> list[int]:
        """The BUs a BU-wide grant covers: the one the role is limited to, else the user's own."""
        if grant.business_unit_id is not None:
            return [grant.business_unit_id]
        return self.business_unit_ids


@dataclass(frozen=True)
class Rule:
    """One reason to see records, and the predicate that selects them. ``q=None`` means everything."""

    reason: str
    q: Q | None


def _any_prefix(field_name: str, prefixes: Iterable[str]) -> Q:
    parts = [Q(**{f"{field_name}__startswith": p}) for p in prefixes]
    return reduce(operator.or_, parts) if parts else Q(pk__in=[])


def members_of(*, team_ids: Iterable[int] = (), paths: Iterable[str] = ()) -> Any:
    """A subquery of the ids of users who are members of the given teams or of the subtrees at ``paths``."""
    TeamMembership = apps.get_model("org", "TeamMembership")
    ids, prefixes = list(team_ids), list(paths)
    cond = Q(team_id__in=ids) if ids else Q(pk__in=[])
    if prefixes:
        cond |= _any_prefix("team__path", prefixes)
    return TeamMembership.objects.filter(cond).values("user_id")


def addressable_people(actor: Any) -> Any:
    """The active people ``actor`` may address — mention, assign a task to, share a record with:
    everyone they see, everyone in their own business units (work crosses departments: sales asks
    supply, supply asks production), and themselves. Addressing shows a person's name and team
    only; their user record keeps its own scope."""
    from django.contrib.auth import get_user_model

    people: Any = get_user_model()._default_manager
    visible = people.visible_to(actor).filter(is_active=True).values("pk")
    return people.filter(
        Q(pk__in=visible) | Q(business_unit_id__in=actor.access.business_unit_ids) | Q(pk=actor.pk),
        is_active=True,
    )


def addressable_teams(actor: Any) -> Any:
    """The active teams ``actor`` may address (mention): the teams they see and every team of their
    own business units (sales mention @供应计划部)."""
    Team = apps.get_model("org", "Team")
    visible = Team.objects.visible_to(actor).values("pk")
    return Team.objects.filter(
        Q(pk__in=visible) | Q(business_unit_id__in=actor.access.business_unit_ids), is_active=True
    )


def scope_label(scope: int) -> str:
    return str(DataScope(scope).label)


class Policy:
    """Turns a user's access into rules for one model. Subclass per kind of record."""

    module: str = ""

    def __init__(self, module: str) -> None:
        self.module = module
        self._providers: list[Callable[[Access, str], list[Rule]]] = []

    def add_rule_provider(self, provider: Callable[[Access, str], list[Rule]]) -> None:
        """Later apps add grants (deal-team membership, approvers, pools) without touching this app."""
        self._providers.append(provider)

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        raise NotImplementedError

    def grant_rules(self, access: Access, action: str) -> list[Rule]:
        """The rules of the user's role grants alone: they read only the owner and BU fields."""
        return [self.scope_rule(access, grant) for grant in access.grants_for(self.module, action)]

    def rules(self, access: Access, action: str) -> list[Rule]:
        rules = self.grant_rules(access, action)
        for provider in self._providers:
            rules.extend(provider(access, action))
        return rules

    def grant_reason(self, grant: Grant) -> str:
        where = f" · {grant.business_unit_name}" if grant.business_unit_name else ""
        # A role limited to one BU sees at most that BU, whatever its nominal scope.
        scope = min(grant.scope, DataScope.BUSINESS_UNIT) if grant.business_unit_id else grant.scope
        return _("Role “%(role)s”%(where)s grants the scope “%(scope)s”") % {
            "role": grant.role_name,
            "where": where,
            "scope": scope_label(scope),
        }


class BusinessUnitWidePolicy(Policy):
    """Records that belong to a business unit as a whole, not to an owner (public pools, lead pools):
    seen by the module's business-unit and group scopes, and by their members (``members``)."""

    member_reason: str = ""

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        reason = self.grant_reason(grant)
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        return Rule(reason, Q(business_unit_id__in=access.scope_business_units(grant)))

    def members(self, access: Access) -> Q | None:
        """A predicate on the records ``access``'s user is a member of (view only); None: no members."""
        return None

    def grant_rules(self, access: Access, action: str) -> list[Rule]:
        return [
            self.scope_rule(access, g)
            for g in access.grants_for(self.module, action)
            if g.scope >= DataScope.BUSINESS_UNIT
        ]

    def rules(self, access: Access, action: str) -> list[Rule]:
        rules = self.grant_rules(access, action)
        if action == "view" and access.user_id:
            mine = self.members(access)
            if mine is not None:
                rules.append(Rule(self.member_reason, mine))
        for provider in self._providers:
            rules.extend(provider(access, action))
        return rules


class OwnedRecordPolicy(Policy):
    """The rule for business records: an owner (a user) and a business unit, plus shares."""

    def __init__(
        self, module: str, *, owner_field: str = "owner", bu_field: str = "business_unit", shareable: bool = True
    ) -> None:
        super().__init__(module)
        self.owner_field = owner_field
        self.bu_field = bu_field
        self.shareable = shareable
        self.model: type[models.Model] | None = None

    def scope_rule(self, access: Access, grant: Grant) -> Rule:
        owner_id = f"{self.owner_field}_id" if self.owner_field not in ("id", "pk") else self.owner_field
        reason = self.grant_reason(grant)
        scope = grant.scope
        if scope == DataScope.GROUP and grant.business_unit_id is None:
            return Rule(reason, None)
        if scope >= DataScope.BUSINESS_UNIT:
            return Rule(reason, Q(**{f"{self.bu_field}_id__in": access.scope_business_units(grant)}))
        own = Q(**{owner_id: access.user_id})
        if scope == DataScope.SELF:
            q = own
        elif scope == DataScope.SUBORDINATES:
            q = own | Q(**{f"{owner_id}__in": members_of(paths=access.managed_paths)})
        elif scope == DataScope.TEAM:
            q = own | Q(**{f"{owner_id}__in": members_of(team_ids=access.team_ids)})
        else:  # TEAM_TREE
            q = own | Q(**{f"{owner_id}__in": members_of(paths=[t.path for t in access.teams])})
        if grant.business_unit_id is not None:
            q &= Q(**{f"{self.bu_field}_id": grant.business_unit_id})
        return Rule(reason, q)

    def rules(self, access: Access, action: str) -> list[Rule]:
        rules = super().rules(access, action)
        if self.shareable and self.model is not None and action in ("view", "edit") and access.user_id:
            rules.append(self.share_rule(access, action))
        return rules

    def share_rule(self, access: Access, action: str) -> Rule:
        from django.contrib.contenttypes.models import ContentType

        RecordShare = apps.get_model("core", "RecordShare")
        assert self.model is not None
        shares = (
            RecordShare.objects.filter(content_type=ContentType.objects.get_for_model(self.model))
            .filter(Q(user_id=access.user_id) | Q(team_id__in=access.team_ids))
            .filter(Q(until__isnull=True) | Q(until__gte=timezone.localdate()))
        )
        if action == "edit":
            shares = shares.filter(access="edit")
        return Rule(_("Shared with you or your team"), Q(pk__in=shares.values("object_id")))


_M = TypeVar("_M", bound=models.Model)


class VisibleQuerySet(models.QuerySet[_M, _M]):
    """The restricted entry point. Subclasses set ``visibility_policy`` (or a module and defaults)."""

    visibility_policy: ClassVar[Policy | None] = None
    visibility_module: ClassVar[str] = ""

    @classmethod
    def policy(cls, model: type[models.Model]) -> Policy:
        policy = cls.__dict__.get("_policy_instance")
        if policy is None:
            policy = cls.visibility_policy or getattr(model, "visibility_policy", None)
            if policy is None:
                policy = OwnedRecordPolicy(cls.visibility_module)
            if isinstance(policy, OwnedRecordPolicy):
                policy.model = model
            cls._policy_instance = policy  # type: ignore[attr-defined]
        return policy

    def visible_to(self, user: Any | AnonymousUser, action: str = "view") -> Self:
        """The records ``user`` may take ``action`` on. Any action other than "view" is also limited to
        what the user may view: an edit, export or approval never reaches a record the lists hide."""
        return self._filter_by(self.policy(self.model).rules, user, action)

    def in_scope_of(self, policy: Policy, user: Any | AnonymousUser, action: str = "view") -> Self:
        """These rows where a record of ``policy``'s model that takes its owner and business unit
        from them (the money of a contract) would be in ``user``'s scope for ``action`` — asked
        before that record is written. Only the role grants count: shares and approvers' rules name
        particular records, which these rows are not."""
        return self._filter_by(policy.grant_rules, user, action)

    def _filter_by(self, rules_of: Callable[[Access, str], list[Rule]], user: Any, action: str) -> Self:
        access: Access = getattr(user, "access", None) or Access(user_id=None)
        if access.user_id is None:
            return self.none()
        qs = self
        for act in (action,) if action == "view" else (action, "view"):
            rules = access.rules_made.get((rules_of, act))
            if rules is None:
                rules = access.rules_made[(rules_of, act)] = rules_of(access, act)
            if not rules:
                return self.none()
            if not any(rule.q is None for rule in rules):
                qs = qs.filter(reduce(operator.or_, [rule.q for rule in rules if rule.q is not None]))
        return qs

    def get_visible(self, user: Any, pk: Any, action: str = "view") -> _M:
        """The record, or ``NotFound`` whether it is missing or outside the scope (indistinguishable)."""
        try:
            return self.visible_to(user, action).get(pk=pk)
        except (ObjectDoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def lock_visible(self, user: Any, pk: Any, action: str = "edit") -> _M:
        """For services: the record locked ``FOR UPDATE`` if ``user`` may take ``action`` on it, else
        ``NotFound`` (the same answer as for a missing record)."""
        found = self.visible_to(user, action).select_for_update().filter(pk=pk).first()
        if found is None:
            raise NotFound()
        return found

    def pick(self, user: Any, pk: Any, *, field: str, action: str = "view") -> _M | None:
        """An id given as input (an API body, a form): the record, ``None`` for no id, or a
        ``ValidationError`` naming ``field`` — an unknown and an invisible id answer alike."""
        if pk is None:
            return None
        found = self.visible_to(user, action).filter(pk=pk).first()
        if found is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({field: _("No such %(record)s.") % {"record": self.model._meta.verbose_name}})
        return found

    def pick_many(self, user: Any, pks: Iterable[Any], *, field: str, action: str = "view") -> list[_M]:
        """Several ids given as input, all of which must be visible (else a field error)."""
        wanted = list(dict.fromkeys(pks))
        found = list(self.visible_to(user, action).filter(pk__in=wanted))
        if len(found) != len(wanted):
            from django.core.exceptions import ValidationError

            raise ValidationError({field: _("No such %(record)s.") % {"record": self.model._meta.verbose_name}})
        return found


def attached_to_visible(
    user: Any, models_: Iterable[type[models.Model]], *, ct_field: str = "content_type", id_field: str = "object_id"
) -> Q:
    """A predicate on rows that point at records by content type and text id (audit entries,
    comments, follows …): the rows whose record ``user`` sees. One ``visible_to`` subquery per model."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField
    from django.db.models.functions import Cast

    condition = Q(pk__in=[])
    for model in models_:
        ids = (
            model._default_manager.visible_to(user)  # type: ignore[attr-defined]
            .annotate(attached_object_id=Cast("pk", CharField()))
            .values("attached_object_id")
        )
        condition |= Q(**{ct_field: ContentType.objects.get_for_model(model), f"{id_field}__in": ids})
    return condition


def explain(user: Any, obj: models.Model, action: str = "view") -> list[str]:
    """Every reason that grants ``user`` ``action`` on ``obj`` (empty: no access)."""
    access: Access = getattr(user, "access", None) or Access(user_id=None)
    if access.user_id is None:
        return []
    manager = type(obj)._default_manager
    qs_class = type(manager.all())
    policy = qs_class.policy(type(obj))  # type: ignore[attr-defined]
    reasons: list[str] = []
    for rule in policy.rules(access, action):
        if rule.reason in reasons:
            continue
        if rule.q is None or manager.filter(pk=obj.pk).filter(rule.q).exists():
            reasons.append(rule.reason)
    return reasons


def seen_by(user: Any, records: Iterable[models.Model | None]) -> dict[tuple[type[models.Model], Any], bool]:
    """Which of ``records`` ``user`` sees, asked with one query per model for those not asked
    before in this request. Pages link a related record (an opportunity's customer, a user's team)
    only when it is seen; otherwise they show its name, since the link would answer 404."""
    access: Access | None = getattr(user, "access", None)
    memo = access.seen if access is not None and access.user_id is not None else {}
    wanted: dict[type[models.Model], set[Any]] = {}
    for record in records:
        if record is not None and record.pk is not None and (type(record), record.pk) not in memo:
            wanted.setdefault(type(record), set()).add(record.pk)
    for model, pks in wanted.items():
        visible = model._default_manager.visible_to(user)  # type: ignore[attr-defined]
        if visible.query.is_empty():  # no rule grants anything: no need to ask
            found: set[Any] = set()
        elif not visible.query.where:  # a rule grants every record (these exist: they were read)
            found = pks
        else:
            found = set(visible.filter(pk__in=pks).values_list("pk", flat=True))
        memo.update({(model, pk): pk in found for pk in pks})
    return memo


def remember_seen(user: Any, model: type[models.Model], asked: Iterable[Any], found: Iterable[Any]) -> None:
    """Record the answer of a visible read that asked for ``asked`` and found ``found`` (primary
    keys of ``model``), so that ``seen_by`` does not ask the database again in this request."""
    access: Access | None = getattr(user, "access", None)
    if access is None or access.user_id is None:
        return
    found = set(found)
    access.seen.update({(model, pk): pk in found for pk in asked})


def is_seen(user: Any, record: models.Model | None) -> bool:
    """Whether ``user`` sees ``record`` (see ``seen_by``; asked once per record and request)."""
    if record is None or record.pk is None:
        return False
    return seen_by(user, [record]).get((type(record), record.pk), False)


def ensure_still_visible(obj: models.Model, user: Any, action: str = "view") -> None:
    """Called by services inside the transaction after a write: the writer must still see the record."""
    manager = type(obj)._default_manager
    if not manager.visible_to(user, action).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("The change would put the record outside your data scope."))
