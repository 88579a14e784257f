"""Pages of the duplicate check, the review queue with its scan, merges and ownership conflicts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xietong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from xietong.core.forms import XtForm, posted, service_errors
from xietong.core.htmx import done, page_view, render_form, render_page
from xietong.core.pagination import paginate
from xietong.core.params import as_int
from xietong.org.policies import require

from .. import conflicts as conflict_svc
from .. import duplicate_rules as rules_svc
from .. import duplicates as svc
from ..choices import ConflictDecision, ConflictStatus, DuplicateAction
from ..models import DuplicateRule, DuplicateScan, OwnershipConflict

TARGET_LABELS = dict(DuplicateRule.Target.choices)
KEY_LABELS = dict(DuplicateRule.Key.choices)


class CheckForm(XtForm):
    name = forms.CharField(label=gettext_lazy("Company name"), required=False, max_length=200)
    credit_code = forms.CharField(label=gettext_lazy("Unified social credit code"), required=False, max_length=30)
    mobile = forms.CharField(label=gettext_lazy("Mobile"), required=False, max_length=30)
    email = forms.CharField(label=gettext_lazy("Email"), required=False, max_length=200)


class AskForm(XtForm):
    ref = forms.CharField(widget=forms.HiddenInput)
    message = forms.CharField(
        label=gettext_lazy("Message to the owner"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConflictForm(XtForm):
    ref = forms.CharField(widget=forms.HiddenInput, required=False)
    customer_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    business_unit_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    statement = forms.CharField(
        label=gettext_lazy("Why should the customer be yours?"),
        max_length=conflict_svc.STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecideForm(XtForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), choices=ConflictDecision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MergeForm(XtForm):
    survivor = forms.TypedChoiceField(label=gettext_lazy("Keep this record"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, records: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(r.pk, f"{r} (#{r.pk})") for r in records]  # type: ignore[attr-defined]


def _target(request: HttpRequest) -> str:
    target = request.GET.get("target") or request.POST.get("target") or "customer"
    return target if target in TARGET_LABELS else "customer"


# --- the duplicate check -------------------------------------------------------------------------


@page_view
def duplicate_check(request: HttpRequest) -> HttpResponse:
    """Does the company exist in the group, and who holds it where? (also for customers one cannot see)"""
    require(request.user, "customers", "view")
    form = CheckForm(request.GET or None)
    hits = None
    if form.is_bound and form.is_valid():
        with service_errors(form):
            hits = svc.duplicate_check(user=request.user, **form.cleaned_data)
    return render_page(
        request,
        "customers/duplicates/check.html",
        {"form": form, "hits": hits, "ask_max": 500},
        fragments={"check-results": "results"},
    )


@page_view
@require_POST
def duplicate_ask(request: HttpRequest) -> HttpResponse:
    form = AskForm(request.POST)
    back = reverse("customers:duplicate_check")
    if form.is_valid():
        with service_errors(form, fields={"ref": "message", "business_unit_id": "message"}):
            customer, bu = svc.addressable_customer(
                user=request.user, customer_id=None, business_unit_id=None, ref=form.cleaned_data["ref"]
            )
            conflict_svc.collaboration_ask(
                actor=request.user, customer=customer, business_unit=bu, message=form.cleaned_data["message"]
            )
        if form.is_valid():
            messages.success(request, _("The owner has been asked to work with you."))
            return done(request, back)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return done(request, back)


# --- the review queue, scans and merges ----------------------------------------------------------


@page_view
def duplicate_queue(request: HttpRequest) -> HttpResponse:
    require(request.user, "customers", "administer")
    target = _target(request)
    clusters = svc.cluster_queue(user=request.user, target=target)
    page = paginate(request, clusters, per_page=25)
    members = svc.cluster_members(user=request.user, clusters=list(page["page_obj"].object_list))
    rows = [
        {
            "cluster": c,
            "members": members[c.pk],
            "reasons": [KEY_LABELS[k] for k in c.reason.split(",") if k in KEY_LABELS],
        }
        for c in page["page_obj"].object_list
    ]
    scan = DuplicateScan.objects.filter(target=target).order_by("-id").first()
    return render_page(
        request,
        "customers/duplicates/queue.html",
        {
            "target": target,
            "targets": TARGET_LABELS,
            "rows": rows,
            "scan": scan,
            "can_set_rules": rules_svc.can_administer(request.user),  # group administrators only
            **page,
        },
        fragments={"scan-status": "scan"},
    )


@page_view
@require_POST
def duplicate_scan(request: HttpRequest) -> HttpResponse:
    target = _target(request)
    try:
        svc.scan_start(actor=request.user, target=target)
        messages.success(request, _("The scan has started; the queue fills when it is done."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, str(exc))
    return done(request, f"{reverse('customers:duplicate_queue')}?target={target}")


@page_view
def duplicate_scan_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The scan's progress (the queue page polls it while the scan runs)."""
    require(request.user, "customers", "administer")
    scan = DuplicateScan.objects.filter(pk=pk).first()
    if scan is None:
        raise NotFound()
    return render_page(request, "customers/duplicates/queue.html#scan", {"scan": scan, "target": scan.target})


@page_view
@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = svc.cluster_get(user=request.user, pk=pk)
    try:
        svc.cluster_dismiss(actor=request.user, cluster=cluster)
        messages.success(request, _("Marked as not duplicates."))
    except Conflict as exc:
        messages.error(request, str(exc))
    return done(request, f"{reverse('customers:duplicate_queue')}?target={cluster.target}")


def _ids(raw: str) -> list[int]:
    try:
        return list(dict.fromkeys(int(p) for p in raw.replace(" ", "").split(",") if p))
    except ValueError:
        raise NotFound() from None


@page_view
def duplicate_merge(request: HttpRequest) -> HttpResponse:
    """Choose the record that stays; the others are merged into it (``?target=&ids=1,2[&cluster=]``)."""
    target = _target(request)
    ids = _ids(request.GET.get("ids", ""))
    model: Any = svc.target_model(target)
    records = list(
        model.objects.visible_to(request.user, "edit").filter(pk__in=ids, merged_into__isnull=True).order_by("pk")
    )
    if len(records) != len(ids) or len(ids) < 2:
        raise NotFound()
    cluster = None
    if request.GET.get("cluster"):
        cluster = svc.cluster_get(user=request.user, pk=request.GET["cluster"])
    form = MergeForm(posted(request), records=records, initial={"survivor": records[0].pk})
    if request.method == "POST" and form.is_valid():
        survivor_id = form.cleaned_data["survivor"]
        with service_errors(form, fields={"source_ids": "survivor"}, denied=True):
            survivor = svc.records_merge(
                actor=request.user,
                target=target,
                target_id=survivor_id,
                source_ids=[pk for pk in ids if pk != survivor_id],
                cluster=cluster,
            )
        if form.is_valid():
            messages.success(request, _("Merged into “%(name)s”.") % {"name": survivor})
            url = (
                reverse("customers:customer_detail", args=[survivor.pk])
                if target == "customer"
                else f"{reverse('customers:duplicate_queue')}?target={target}"
            )
            return done(request, url)
    return render_form(
        request,
        form,
        title=_("Merge %(what)s") % {"what": TARGET_LABELS[target]},
        intro=_(
            "The other records are merged into the one you keep: their contacts, follow-ups, comments, files, "
            "tasks, followers and shares move to it, blank fields are filled from them, and they remain as "
            "merged records in the history."
        ),
        cancel_url=f"{reverse('customers:duplicate_queue')}?target={target}",
        submit_label=_("Merge"),
        context={"breadcrumbs": [(_("Duplicate review"), reverse("customers:duplicate_queue"))]},
    )


# --- duplicate rules -----------------------------------------------------------------------------


@page_view
@require_http_methods(["GET", "POST"])
def duplicate_rules(request: HttpRequest) -> HttpResponse:
    """Per kind of record and key: block, warn and ask for a reason, or allow (a save button per row).
    The rules hold for the whole group: group administrators of customers only."""
    require(request.user, "customers", "administer")
    if not rules_svc.can_administer(request.user):
        raise PermissionDenied(
            _("The duplicate rules hold for the whole group: only group administrators change them.")
        )
    if request.method == "POST":
        try:
            rules_svc.duplicate_rule_set(
                actor=request.user,
                target=request.POST.get("target", ""),
                key=request.POST.get("key", ""),
                action=request.POST.get("action", ""),
            )
            messages.success(request, _("The duplicate rule is saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return done(request, reverse("customers:duplicate_rules"))
    rows = [
        {
            "target": row.target,
            "key": row.key,
            "action": row.action,
            "is_default": row.is_default,
            "target_label": TARGET_LABELS[row.target],
            "key_label": KEY_LABELS[row.key],
        }
        for row in rules_svc.duplicate_rules_table()
    ]
    return render_page(
        request,
        "customers/duplicates/rules.html",
        {"rows": rows, "actions": DuplicateAction.choices},
    )


# --- ownership conflicts -------------------------------------------------------------------------


@page_view
def conflict_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "customers", "view")
    status = request.GET.get("status", ConflictStatus.OPEN)
    conflicts = conflict_svc.conflict_list(user=request.user, status=status, mine=request.GET.get("mine") == "1")
    return render_page(
        request,
        "customers/duplicates/conflict_list.html",
        {"status": status, "statuses": ConflictStatus.choices, **paginate(request, conflicts)},
    )


@page_view
def conflict_new(request: HttpRequest) -> HttpResponse:
    """Request a transfer: from the duplicate check (``?ref=``) or from a customer's page
    (``?customer_id=&business_unit_id=``)."""
    source = request.POST if request.method == "POST" else request.GET
    form = ConflictForm(
        posted(request),
        initial={k: source.get(k) for k in ("ref", "customer_id", "business_unit_id")},
    )
    customer = bu = None
    try:
        customer, bu = svc.addressable_customer(
            user=request.user,
            customer_id=as_int(source.get("customer_id"), None),
            business_unit_id=as_int(source.get("business_unit_id"), None),
            ref=source.get("ref", ""),
        )
    except ValidationError:
        raise NotFound() from None
    if request.method == "POST" and form.is_valid():
        with service_errors(form, fields={"customer_id": "statement", "business_unit_id": "statement"}, denied=True):
            conflict = conflict_svc.conflict_open(
                actor=request.user, customer=customer, business_unit=bu, statement=form.cleaned_data["statement"]
            )
        if form.is_valid():
            messages.success(request, _("The conflict is open; the business unit's head will decide it."))
            return done(request, reverse("customers:conflict_detail", args=[conflict.pk]))
    return render_form(
        request,
        form,
        title=_("Request a transfer of “%(name)s”") % {"name": customer.name},
        intro=_("The owner in %(bu)s, both your managers and the head of the business unit are told.") % {"bu": bu},
        cancel_url=reverse("customers:duplicate_check"),
        submit_label=_("Open the conflict"),
        context={"breadcrumbs": [(_("Ownership conflicts"), reverse("customers:conflict_list"))]},
    )


@page_view
def conflict_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conflict: OwnershipConflict = conflict_svc.conflict_list(user=request.user).get_visible(request.user, pk)
    can_decide = conflict.status == ConflictStatus.OPEN and conflict_svc.can_arbitrate(request.user, conflict)
    form = DecideForm(posted(request)) if can_decide else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("You cannot decide this conflict."))
        if form.is_valid():
            with service_errors(form, denied=True):
                conflict_svc.conflict_decide(actor=request.user, conflict=conflict, **form.cleaned_data)
            if form.is_valid():
                messages.success(request, _("The conflict is decided."))
                return done(request, reverse("customers:conflict_detail", args=[conflict.pk]))
    return render_page(
        request,
        "customers/duplicates/conflict_detail.html",
        {"conflict": conflict, "form": form},
        fragments={"decide-form": "decide"},
    )


urlpatterns: list[URLPattern] = [
    path("customers/duplicates/check/", duplicate_check, name="duplicate_check"),
    path("customers/duplicates/ask/", duplicate_ask, name="duplicate_ask"),
    path("customers/duplicates/", duplicate_queue, name="duplicate_queue"),
    path("customers/duplicates/scan/", duplicate_scan, name="duplicate_scan"),
    path("customers/duplicates/scans/<int:pk>/", duplicate_scan_status, name="duplicate_scan_status"),
    path("customers/duplicates/clusters/<int:pk>/dismiss/", duplicate_dismiss, name="duplicate_dismiss"),
    path("customers/duplicates/merge/", duplicate_merge, name="duplicate_merge"),
    path("customers/duplicates/rules/", duplicate_rules, name="duplicate_rules"),
    path("customers/conflicts/", conflict_list, name="conflict_list"),
    path("customers/conflicts/new/", conflict_new, name="conflict_new"),
    path("customers/conflicts/<int:pk>/", conflict_detail, name="conflict_detail"),
]
