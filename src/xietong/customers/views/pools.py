"""Public pool pages: the pools, a pool's customers (limited cards with Claim), its settings (members,
limits, ownership limits per role or person, recycle rules), the recycle preview, and the claim,
release and assign actions on one BU relationship (the customer page includes the release dialog:
``customers/pools/release_form.html`` posting to ``customers:relationship_release``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xietong.core.errors import Conflict, PermissionDenied
from xietong.core.forms import XtForm, posted, service_errors
from xietong.core.htmx import done, fragment_requested, next_url, page_view, render_form, render_page
from xietong.core.pagination import keyset_paginate
from xietong.org.forms import PeopleChoiceField, PersonChoiceField, TeamMultipleChoiceField
from xietong.org.models import BusinessUnit, Role, Team, User

from .. import pools
from ..choices import Level, RecycleKind
from ..models import CustomerPool, OwnershipLimit, RecycleRule, Relationship

RESULTS_ID = "pool-results"
RELEASE_FORM_ID = "release-form"


# --- forms ---------------------------------------------------------------------------------------


class PoolFilterForm(XtForm):
    q = forms.CharField(label=gettext_lazy("Search"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("level"), required=False)
    province = forms.CharField(label=gettext_lazy("province"), required=False)
    industry = forms.CharField(label=gettext_lazy("industry"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("Every level")), *Level.choices]  # type: ignore[attr-defined]
        self.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": _("Customer name")})
        self.fields["q"].widget.attrs["class"] = "form-control"
        self.fields["province"].widget.attrs["placeholder"] = _("Province")
        self.fields["industry"].widget.attrs["placeholder"] = _("Industry")

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v.strip() for k, v in self.cleaned_data.items() if v and v.strip()}


class PoolForm(XtForm):
    name = forms.CharField(label=gettext_lazy("name"), max_length=60)
    description = forms.CharField(
        label=gettext_lazy("description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_default = forms.BooleanField(label=gettext_lazy("default pool of the business unit"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("active"), required=False, initial=True)
    max_owned = forms.IntegerField(
        label=gettext_lazy("customers a rep may own"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Empty: no limit."),
    )
    count_won_customers = forms.BooleanField(
        label=gettext_lazy("customers who have bought count towards the limit"), required=False
    )
    claims_per_day = forms.IntegerField(
        label=gettext_lazy("claims per rep per day"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Empty: no limit."),
    )
    reclaim_block_days = forms.IntegerField(
        label=gettext_lazy("days before a previous owner may claim back"), min_value=0
    )
    protection_days = forms.IntegerField(label=gettext_lazy("protection period after a claim (days)"), min_value=0)


class PoolCreateForm(PoolForm):
    business_unit = forms.ModelChoiceField(label=gettext_lazy("business unit"), queryset=BusinessUnit.objects.none())

    field_order = ["business_unit", "name"]

    def __init__(self, *args: Any, business_units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = business_units  # type: ignore[attr-defined]


class MembersForm(XtForm):
    users = PeopleChoiceField(
        label=gettext_lazy("Members"),
        required=False,
        queryset=Relationship.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    admins = PeopleChoiceField(
        label=gettext_lazy("Administrators"),
        required=False,
        queryset=Relationship.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=gettext_lazy(
            "Administrators are members too; they assign the pool's customers and see its recycle preview."
        ),
    )
    teams = TeamMultipleChoiceField(
        label=gettext_lazy("member teams"),
        grouped=False,
        required=False,
        queryset=Team.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=gettext_lazy("Everyone in these teams is a member."),
    )

    def __init__(self, *args: Any, people: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = people  # type: ignore[attr-defined]
        self.fields["admins"].queryset = people  # type: ignore[attr-defined]
        self.fields["teams"].queryset = teams  # type: ignore[attr-defined]


class LimitForm(XtForm):
    role = forms.ModelChoiceField(label=gettext_lazy("Role"), required=False, queryset=Role.objects.none())
    user = PersonChoiceField(label=gettext_lazy("Person"), required=False, queryset=User.objects.none())
    max_owned = forms.IntegerField(label=gettext_lazy("customers a rep may own"), min_value=0)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["user"].queryset = people  # type: ignore[attr-defined]


class RuleForm(XtForm):
    kind = forms.ChoiceField(label=gettext_lazy("rule"), choices=RecycleKind.choices)
    level = forms.ChoiceField(
        label=gettext_lazy("level"), required=False, help_text=gettext_lazy("Empty: every level.")
    )
    days = forms.IntegerField(label=gettext_lazy("days"), min_value=1)
    remind_days_before = forms.IntegerField(
        label=gettext_lazy("remind the owner N days before"), min_value=0, initial=3
    )
    is_active = forms.BooleanField(label=gettext_lazy("active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("Every level")), *Level.choices]  # type: ignore[attr-defined]


class ReleaseForm(XtForm):
    reason = forms.CharField(
        label=gettext_lazy("reason for returning"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
    pool = forms.ModelChoiceField(
        label=gettext_lazy("public pool"),
        required=False,
        queryset=CustomerPool.objects.none(),
        empty_label=gettext_lazy("Its own pool (default)"),
    )

    def __init__(self, *args: Any, pools_: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = pools_  # type: ignore[attr-defined]


class AssignForm(XtForm):
    owner = PersonChoiceField(label=gettext_lazy("owner"), queryset=User.objects.none())

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]


# --- helpers -------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Any:
    return request.user


def _pool_url(pool: CustomerPool) -> str:
    return reverse("customers:pool_detail", args=[pool.pk])


def customer_url(rel: Relationship) -> str:
    """The customer's page (the customers app's), or the pool's page while that page does not exist."""
    try:
        return reverse("customers:customer_detail", args=[rel.customer_id])
    except NoReverseMatch:
        return _pool_url(rel.pool) if rel.pool_id and rel.pool else reverse("customers:pool_list")


def _crumbs(pool: CustomerPool | None = None) -> list[tuple[str, str]]:
    crumbs = [(_("Public pools"), reverse("customers:pool_list"))]
    if pool is not None:
        crumbs.append((pool.name, _pool_url(pool)))
    return crumbs


def _admin_pool(request: HttpRequest, pk: int) -> CustomerPool:
    """A pool for a settings page: unseen → 404; seen without "administer" over its BU → 403."""
    pool = pools.pool_get(user=_actor(request), pk=pk)
    if not pools.can_administer(_actor(request), pool):
        raise PermissionDenied(_("Only administrators of customers in the business unit may change its public pools."))
    return pools.pool_get(user=_actor(request), pk=pk, action="administer")


def _settings(pool: CustomerPool) -> dict[str, Any]:
    return {name: getattr(pool, name) for name in pools.POOL_SETTINGS}


# --- pages ---------------------------------------------------------------------------------------


@page_view
def pool_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    items = list(pools.pool_list(user=user))
    mine = pools.my_pool_ids(user)
    for pool in items:
        pool.is_mine = pool.pk in mine  # type: ignore[attr-defined]
    can_create = pools.administered_business_units(user=user).exists()
    return render_page(request, "customers/pools/list.html", {"pools": items, "can_create": can_create})


@page_view
def pool_create(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    business_units = pools.administered_business_units(user=user)
    if not business_units.exists():
        raise PermissionDenied(_("Only administrators of customers in the business unit may change its public pools."))
    form = PoolCreateForm(
        posted(request),
        business_units=business_units,
        initial={
            "is_active": True,
            "reclaim_block_days": 30,
            "protection_days": 30,
            "business_unit": user.business_unit_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        business_unit = data.pop("business_unit")
        with service_errors(form, denied=True):
            pool = pools.pool_create(actor=user, business_unit=business_unit, **data)
        if form.is_valid():
            messages.success(request, _("The public pool “%(name)s” has been created.") % {"name": pool.name})
            return done(request, _pool_url(pool))
    return render_form(
        request,
        form,
        title=_("New public pool"),
        cancel_url=reverse("customers:pool_list"),
        submit_label=_("Create"),
        context={"breadcrumbs": _crumbs()},
    )


POOL_SORTS = {"released": "released_at"}  # newest arrivals first; keyset pages stay fast in big pools


@page_view
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    pool = pools.pool_get(user=user, pk=pk)
    form = PoolFilterForm(request.GET)
    customers = pools.pool_customers(user=user, pool=pool, **form.filters())
    manage = pools.can_manage_customers(user, pool)
    return render_page(
        request,
        "customers/pools/detail.html",
        {
            "pool": pool,
            "form": form,
            "results_id": RESULTS_ID,
            "filtered": bool(form.filters()),
            "is_member": pools.is_member(user, pool),
            "can_claim": user.access.can("customers", "create"),
            "can_manage": manage,
            "can_administer": pools.can_administer(user, pool),
            "moves": pools.pool_moves(pool=pool) if manage or pools.is_member(user, pool) else [],
            "rules": pools.pool_rules(pool=pool),
            "own_limit": pools.ownership_limit(user=user, pool=pool),
            "breadcrumbs": _crumbs(),
            "page": keyset_paginate(request, customers, columns=POOL_SORTS, default="-released"),
        },
        fragments={RESULTS_ID: "results"},
    )


@page_view
def pool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    pool = _admin_pool(request, pk)
    form = PoolForm(posted(request), initial=_settings(pool))
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            pools.pool_update(actor=user, pool=pool, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The public pool has been saved."))
            return done(request, _pool_url(pool))
    return render_form(
        request,
        form,
        title=_("Settings of %(name)s") % {"name": pool.name},
        cancel_url=_pool_url(pool),
        context={"breadcrumbs": _crumbs(pool)},
    )


@page_view
def pool_members(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    pool = _admin_pool(request, pk)
    members, teams = pools.pool_members(pool=pool)
    form = MembersForm(
        posted(request),
        people=pools.assignable_people(business_unit_id=pool.business_unit_id),
        teams=Team.objects.filter(business_unit_id=pool.business_unit_id, is_active=True).order_by("path"),
        initial={
            "users": [m.user_id for m in members if not m.is_admin],
            "admins": [m.user_id for m in members if m.is_admin],
            "teams": [t.pk for t in teams],
        },
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            pools.pool_set_members(
                actor=user,
                pool=pool,
                users=list(form.cleaned_data["users"]),
                admins=list(form.cleaned_data["admins"]),
                teams=list(form.cleaned_data["teams"]),
            )
        if form.is_valid():
            messages.success(request, _("The members have been saved."))
            return done(request, _pool_url(pool))
    return render_form(
        request,
        form,
        title=_("Members of %(name)s") % {"name": pool.name},
        cancel_url=_pool_url(pool),
        intro=_(
            "Members see the customers in the pool (name, region, industry, level, last activity) and may claim them."
        ),
        context={"breadcrumbs": _crumbs(pool)},
    )


@page_view
def pool_limits(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    pool = _admin_pool(request, pk)
    form = LimitForm(posted(request), people=pools.assignable_people(business_unit_id=pool.business_unit_id))
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            pools.ownership_limit_save(actor=user, pool=pool, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The limit has been saved."))
            return done(request, reverse("customers:pool_limits", args=[pool.pk]))
    return render_page(
        request,
        "customers/pools/limits.html",
        {"pool": pool, "form": form, "limits": pools.pool_limits(pool=pool), "breadcrumbs": _crumbs(pool)},
        fragments={"xt-form": "form"},
    )


@page_view
@require_POST
def pool_limit_delete(request: HttpRequest, pk: int, limit_pk: int) -> HttpResponse:
    pool = _admin_pool(request, pk)
    limit = OwnershipLimit.objects.filter(pool=pool, pk=limit_pk).first()
    if limit is None:
        from xietong.core.errors import NotFound

        raise NotFound()
    pools.ownership_limit_delete(actor=_actor(request), limit=limit)
    messages.success(request, _("The limit has been removed."))
    return done(request, reverse("customers:pool_limits", args=[pool.pk]))


@page_view
def pool_rules(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    pool = _admin_pool(request, pk)
    form = RuleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            pools.recycle_rule_save(actor=user, pool=pool, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The recycle rule has been saved."))
            return done(request, reverse("customers:pool_rules", args=[pool.pk]))
    return render_page(
        request,
        "customers/pools/rules.html",
        {"pool": pool, "form": form, "rules": pools.pool_rules(pool=pool), "breadcrumbs": _crumbs(pool)},
        fragments={"xt-form": "form"},
    )


def _rule(pool: CustomerPool, rule_pk: int) -> RecycleRule:
    rule = RecycleRule.objects.select_related("pool").filter(pool=pool, pk=rule_pk).first()
    if rule is None:
        from xietong.core.errors import NotFound

        raise NotFound()
    return rule


@page_view
def pool_rule_edit(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    user = _actor(request)
    pool = _admin_pool(request, pk)
    rule = _rule(pool, rule_pk)
    fields = ("kind", "level", "days", "remind_days_before", "is_active")
    form = RuleForm(posted(request), initial={name: getattr(rule, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            pools.recycle_rule_save(actor=user, pool=pool, rule=rule, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("The recycle rule has been saved."))
            return done(request, reverse("customers:pool_rules", args=[pool.pk]))
    return render_form(
        request,
        form,
        title=_("Edit the recycle rule"),
        cancel_url=reverse("customers:pool_rules", args=[pool.pk]),
        context={"breadcrumbs": _crumbs(pool)},
    )


@page_view
@require_POST
def pool_rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    pool = _admin_pool(request, pk)
    pools.recycle_rule_delete(actor=_actor(request), rule=_rule(pool, rule_pk))
    messages.success(request, _("The recycle rule has been removed."))
    return done(request, reverse("customers:pool_rules", args=[pool.pk]))


@page_view
def pool_preview(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    pool = pools.pool_get(user=user, pk=pk)
    if not pools.can_manage_customers(user, pool):
        raise PermissionDenied(_("Only the pool's administrators see which customers its rules will recycle."))
    return render_page(
        request,
        "customers/pools/preview.html",
        {
            "pool": pool,
            "items": pools.recycle_preview(pool=pool),
            "rules": pools.pool_rules(pool=pool),
            "days": pools.PREVIEW_DAYS,
            "breadcrumbs": _crumbs(pool),
        },
    )


# --- actions on one relationship ------------------------------------------------------------------


@page_view
@require_POST
def relationship_claim(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    rel = pools.claimable_relationship(user, pk=pk)
    back = next_url(request, _pool_url(rel.pool) if rel.pool_id and rel.pool else reverse("customers:pool_list"))
    try:
        claimed = pools.customer_claim(relationship_id=rel.pk, actor=user)
    except Conflict as exc:
        messages.error(request, str(exc))
        return done(request, back)
    messages.success(request, _("“%(name)s” is now your customer.") % {"name": claimed.customer})
    return done(request, customer_url(claimed))


@page_view
def relationship_release(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    rel = pools.relationship_get(user=user, pk=pk)
    if not Relationship.objects.visible_to(user, "edit").filter(pk=rel.pk).exists():
        raise PermissionDenied(_("Only the owner or their managers may return a customer to the pool."))
    form = ReleaseForm(
        posted(request),
        pools_=CustomerPool.objects.filter(business_unit_id=rel.business_unit_id, is_active=True).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            pools.customer_release(
                relationship=rel, actor=user, reason=form.cleaned_data["reason"], pool=form.cleaned_data["pool"]
            )
        if form.is_valid():
            messages.success(request, _("“%(name)s” has gone back to the public pool.") % {"name": rel.customer})
            return done(request, customer_url(rel) if _still_sees(user, rel) else reverse("customers:pool_list"))
    context = {"relationship": rel, "form": form, "cancel_url": customer_url(rel), "breadcrumbs": _crumbs()}
    if fragment_requested(request, {RELEASE_FORM_ID: "form"}):  # the dialog on another page posted itself
        response = render(request, "customers/pools/release_form.html#form", context)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response
    return render_page(request, "customers/pools/release_page.html", context)


def _still_sees(user: Any, rel: Relationship) -> bool:
    return Relationship.objects.visible_to(user).filter(pk=rel.pk).exists()


@page_view
def relationship_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    rel = pools.relationship_get(user=user, pk=pk)
    pool = rel.pool if rel.owner_id is None else None
    allowed = (
        Relationship.objects.visible_to(user, "administer").filter(pk=rel.pk).exists()
        or (pool is not None and pools.is_pool_admin(user, pool))
        or (rel.owner_id is not None and Relationship.objects.visible_to(user, "edit").filter(pk=rel.pk).exists())
    )
    if not allowed:
        raise PermissionDenied(_("Only the pool's administrators and managers may assign its customers."))
    form = AssignForm(posted(request), people=pools.assignable_people(business_unit_id=rel.business_unit_id))
    if request.method == "POST" and form.is_valid():
        with service_errors(form, denied=True):
            assigned = pools.customer_assign(relationship=rel, actor=user, owner=form.cleaned_data["owner"])
        if form.is_valid():
            messages.success(
                request,
                _("“%(name)s” has been assigned to %(owner)s.") % {"name": rel.customer, "owner": assigned.owner},
            )
            return done(request, _pool_url(pool) if pool is not None else customer_url(rel))
    return render_form(
        request,
        form,
        title=_("Assign %(name)s") % {"name": rel.customer},
        cancel_url=_pool_url(pool) if pool is not None else customer_url(rel),
        submit_label=_("Assign"),
        context={"breadcrumbs": _crumbs(pool)},
    )


urlpatterns = [
    path("customers/pools/", pool_list, name="pool_list"),
    path("customers/pools/new/", pool_create, name="pool_create"),
    path("customers/pools/<int:pk>/", pool_detail, name="pool_detail"),
    path("customers/pools/<int:pk>/settings/", pool_edit, name="pool_edit"),
    path("customers/pools/<int:pk>/members/", pool_members, name="pool_members"),
    path("customers/pools/<int:pk>/limits/", pool_limits, name="pool_limits"),
    path("customers/pools/<int:pk>/limits/<int:limit_pk>/delete/", pool_limit_delete, name="pool_limit_delete"),
    path("customers/pools/<int:pk>/rules/", pool_rules, name="pool_rules"),
    path("customers/pools/<int:pk>/rules/<int:rule_pk>/edit/", pool_rule_edit, name="pool_rule_edit"),
    path("customers/pools/<int:pk>/rules/<int:rule_pk>/delete/", pool_rule_delete, name="pool_rule_delete"),
    path("customers/pools/<int:pk>/preview/", pool_preview, name="pool_preview"),
    path("customers/relationships/<int:pk>/claim/", relationship_claim, name="relationship_claim"),
    path("customers/relationships/<int:pk>/release/", relationship_release, name="relationship_release"),
    path("customers/relationships/<int:pk>/assign/", relationship_assign, name="relationship_assign"),
]
