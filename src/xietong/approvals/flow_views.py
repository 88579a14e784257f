"""Administration pages (modules "approvals" "administer"): the flows per document type, a flow's
form (its conditions and ordered steps as rows, blank rows ignored), activate/deactivate, delete;
and every user's own delegations. Writes go through ``services``; a refusal re-renders what was typed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xietong.core.errors import Conflict, NotFound
from xietong.core.htmx import done, page_view, render_page
from xietong.core.params import as_int
from xietong.core.visibility import addressable_people
from xietong.org.models import BusinessUnit, Role, Team
from xietong.org.policies import require

from . import registry, selectors, services
from .models import ApprovalFlow, StepKind, StepMode

MODULE = "approvals"
EXTRA_ROWS = 2


def _operators() -> list[tuple[str, str]]:
    """The condition operators as the select offers them: the signs as typed in a step's conditions, words
    for "contains" and "in" (the value stays the code)."""
    return [
        ("=", "="),
        ("!=", "!="),
        (">", ">"),
        (">=", ">="),
        ("<", "<"),
        ("<=", "<="),
        ("contains", _("contains")),
        ("in", _("is one of (comma-separated)")),
    ]


def _crumbs(*more: tuple[str, str]) -> list[tuple[str, str]]:
    return [(_("Approval flows"), reverse("approvals:flow_list")), *more]


def _document_type(code: str) -> registry.DocumentType:
    try:
        return registry.get(code)
    except KeyError:
        raise NotFound() from None


@require_http_methods(["GET"])
@page_view
def flow_list(request: HttpRequest) -> HttpResponse:
    require(request.user, MODULE, "administer")
    flows = list(selectors.flow_list(user=request.user))
    groups = []
    for t in sorted(registry.types(), key=lambda t: t.code):
        rows = []
        for f in flows:
            if f.document_type != t.code:
                continue
            steps = [{"name": s.name, "conditions": _describe(t, s.conditions)} for s in f.steps.all()]
            rows.append({"flow": f, "conditions": _describe(t, f.conditions), "steps": steps})
        groups.append({"type": t, "flows": rows})
    return render_page(request, "approvals/flow_list.html", {"groups": groups})


# --- the flow form: rows in, rows out -------------------------------------------------------------------------


def _reference_names(document_type: registry.DocumentType) -> dict[str, dict[str, str]]:
    """Per reference field (its values are ids), the label of each id: the form shows and takes names."""
    out: dict[str, dict[str, str]] = {}
    for cfield in document_type.fields:
        choices = services.condition_choices(cfield) if cfield.kind == "reference" else None
        if choices is not None:
            out[cfield.name] = dict(choices)
    return out


def _shown_value(names: dict[str, dict[str, str]], condition: dict[str, Any]) -> Any:
    """A condition's value as the form shows it (a reference by its name; lists stay lists)."""
    labels = names.get(str(condition.get("field")), {})
    value = condition.get("value")
    if isinstance(value, list):
        return [labels.get(str(v), v) for v in value]
    return labels.get(str(value), value)


def _condition_text(conditions: list[dict[str, Any]], names: dict[str, dict[str, str]]) -> str:
    lines = []
    for c in conditions or []:
        value = _shown_value(names, c)
        lines.append(f"{c.get('field')} {c.get('op')} {','.join(value) if isinstance(value, list) else value}")
    return "\n".join(lines)


def _describe(document_type: registry.DocumentType, conditions: list[dict[str, Any]]) -> list[str]:
    """Conditions in words, as the flow list shows them: the field's label, the operator, the value (a
    choice or reference by its label): "Customer level is one of A (key account), B (important)"."""
    fields = {f.name: f for f in document_type.fields}
    operators = {"contains": _("contains"), "in": _("is one of")}
    out = []
    for c in conditions or []:
        cfield = fields.get(str(c.get("field")))
        labels = dict(services.condition_choices(cfield) or []) if cfield is not None else {}
        value = c.get("value")
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(labels.get(str(v), str(v)) for v in values)
        label = cfield.label if cfield is not None else c.get("field")
        out.append(f"{label} {operators.get(str(c.get('op')), c.get('op'))} {shown}")
    return out


def _field_help(document_type: registry.DocumentType) -> list[dict[str, Any]]:
    """The fields a condition may test, with the values a choice or reference field takes."""
    out = []
    for cfield in document_type.fields:
        choices = services.condition_choices(cfield)
        values = ", ".join(label for _value, label in choices) if choices is not None else ""
        out.append({"name": cfield.name, "label": cfield.label, "values": values})
    return out


def _parse_condition_text(text: str) -> list[dict[str, Any]]:
    """``amount >= 100000`` per line (``in`` takes comma-separated values)."""
    out: list[dict[str, Any]] = []
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 2)
        if not parts:
            continue
        out.append(
            {"field": parts[0], "op": parts[1] if len(parts) > 1 else "", "value": parts[2] if len(parts) > 2 else ""}
        )
    return out


def _rows_from_flow(
    flow: ApprovalFlow | None, names: dict[str, dict[str, str]] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    names = names or {}
    if flow is None:
        values = {
            "name": "",
            "business_unit_id": "",
            "priority": 100,
            "is_active": True,
            "remind_after_hours": "",
            "escalate_after_hours": "",
            "escalate_to_id": "",
        }
        conditions: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
    else:
        values = {
            "name": flow.name,
            "business_unit_id": flow.business_unit_id or "",
            "priority": flow.priority,
            "is_active": flow.is_active,
            "remind_after_hours": flow.remind_after_hours or "",
            "escalate_after_hours": flow.escalate_after_hours or "",
            "escalate_to_id": flow.escalate_to_id or "",
        }
        conditions = [{**c, "value": _shown_value(names, c)} for c in flow.conditions]
        steps = [
            {
                "name": s.name,
                "kind": s.kind,
                "mode": s.mode,
                "user_id": s.user_id or "",
                "role_id": s.role_id or "",
                "team_id": s.team_id or "",
                "levels": s.levels,
                "conditions_text": _condition_text(s.conditions, names),
            }
            for s in flow.steps.all()
        ]
    return values, _padded(conditions, _blank_condition(), EXTRA_ROWS), _padded(steps, _blank_step(), EXTRA_ROWS)


def _blank_condition() -> dict[str, Any]:
    return {"field": "", "op": "", "value": ""}


def _blank_step() -> dict[str, Any]:
    return {
        "name": "",
        "kind": "",
        "mode": "all",
        "user_id": "",
        "role_id": "",
        "team_id": "",
        "levels": 1,
        "conditions_text": "",
    }


def _padded(rows: list[dict[str, Any]], blank: dict[str, Any], count: int) -> list[dict[str, Any]]:
    return [*rows, *(dict(blank) for _ in range(count))]


def _condition_used(row: dict[str, Any]) -> bool:
    return bool(row.get("field"))


def _step_used(row: dict[str, Any]) -> bool:
    return bool(str(row.get("name") or "").strip() or row.get("kind"))


def _rows_from_post(data: QueryDict) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    values = {
        "name": data.get("name", ""),
        "business_unit_id": data.get("business_unit_id", ""),
        "priority": data.get("priority", ""),
        "is_active": data.get("is_active") == "on",
        "remind_after_hours": data.get("remind_after_hours", ""),
        "escalate_after_hours": data.get("escalate_after_hours", ""),
        "escalate_to_id": data.get("escalate_to_id", ""),
    }
    conditions = [
        {"field": f, "op": o, "value": v}
        for f, o, v in zip(
            data.getlist("cond_field"), data.getlist("cond_op"), data.getlist("cond_value"), strict=False
        )
    ]
    keys = ("name", "kind", "mode", "user_id", "role_id", "team_id", "levels", "conditions_text")
    columns = [data.getlist(f"step_{k}") for k in keys]
    steps = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=False)]
    # the rows in use first, numbered as the service numbers them ("Step 2: …" is the form's step 2),
    # then empty rows to add more: on "More empty rows" as many again as were empty
    used_conditions = [c for c in conditions if _condition_used(c)]
    used_steps = [s for s in steps if _step_used(s)]
    more = EXTRA_ROWS if data.get("more_rows") else 0
    return (
        values,
        _padded(used_conditions, _blank_condition(), max(EXTRA_ROWS, len(conditions) - len(used_conditions) + more)),
        _padded(used_steps, _blank_step(), max(EXTRA_ROWS, len(steps) - len(used_steps) + more)),
    )


def _service_values(
    values: dict[str, Any], conditions: list[dict[str, Any]], steps: list[dict[str, Any]]
) -> dict[str, Any]:
    def _id(value: Any) -> int | None:
        return as_int(value, None)

    used_steps = [
        {
            "name": s["name"],
            "kind": s["kind"],
            "mode": s["mode"],
            "user_id": _id(s.get("user_id")),
            "role_id": _id(s.get("role_id")),
            "team_id": _id(s.get("team_id")),
            "levels": s.get("levels") or 1,
            "conditions": _parse_condition_text(s.get("conditions_text", "")),
        }
        for s in steps
        if _step_used(s)
    ]
    return {
        "name": values["name"],
        "priority": values["priority"] or 100,
        "is_active": values["is_active"],
        "remind_after_hours": values["remind_after_hours"],
        "escalate_after_hours": values["escalate_after_hours"],
        "escalate_to_id": _id(values["escalate_to_id"]),
        "conditions": [c for c in conditions if _condition_used(c)],
        "steps": used_steps,
    }


def _people(user: Any, flow: ApprovalFlow | None) -> list[Any]:
    """Whom the user may name in a step or as the escalation target, plus whoever the flow names
    already (another BU's person, or one past the first 500): saving the form unchanged keeps them."""
    people = list(addressable_people(user).order_by("display_name", "pk")[:500])
    if flow is not None:
        named = {flow.escalate_to_id, *flow.steps.values_list("user_id", flat=True)} - {None}
        named -= {p.pk for p in people}
        if named:
            people += list(get_user_model()._default_manager.filter(pk__in=named).order_by("display_name", "pk"))
    return people


def _teams(flow: ApprovalFlow | None) -> list[Any]:
    """The first 500 active teams by place in the tree, plus those the flow's steps name already."""
    teams = list(Team.objects.filter(is_active=True).select_related("business_unit").order_by("path")[:500])
    if flow is not None:
        named = set(flow.steps.values_list("team_id", flat=True)) - {None, *(t.pk for t in teams)}
        if named:
            teams += list(Team.objects.filter(pk__in=named).select_related("business_unit").order_by("path"))
    return teams


def _choices(user: Any, flow: ApprovalFlow | None) -> dict[str, Any]:
    from xietong.core.choices import DataScope

    group_admin = user.access.widest_scope(MODULE, "administer") >= DataScope.GROUP
    bus = BusinessUnit.objects.filter(is_active=True).order_by("name")
    if not group_admin:
        ids = {
            bu
            for g in user.access.grants_for(MODULE, "administer")
            if g.scope >= DataScope.BUSINESS_UNIT
            for bu in user.access.scope_business_units(g)
        }
        bus = bus.filter(pk__in=ids)
    return {
        "group_admin": group_admin,
        "business_units": list(bus),
        "people": _people(user, flow),
        "roles": list(Role.objects.order_by("name")),
        "teams": _teams(flow),
        "kinds": StepKind.choices,
        "modes": StepMode.choices,
        "operators": _operators(),
    }


def _render_form(
    request: HttpRequest,
    *,
    document_type: registry.DocumentType,
    flow: ApprovalFlow | None,
    rows: tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]],
    errors: list[str],
    field_errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    values, conditions, steps = rows
    field_errors = field_errors or {}
    for number, step in enumerate(steps, start=1):  # each step row shows its own errors
        prefix = f"steps.{number}"
        step["errors"] = [m for key, ms in field_errors.items() if key.split(".")[:2] == prefix.split(".") for m in ms]
    title = flow.name if flow is not None else _("New flow for %(type)s") % {"type": document_type.label}
    return render_page(
        request,
        "approvals/flow_form.html",
        {
            "document_type": document_type,
            "flow": flow,
            "values": values,
            "conditions": conditions,
            "steps": steps,
            "errors": errors,
            "field_errors": {key: ms for key, ms in field_errors.items() if "." not in key},
            "field_help": _field_help(document_type),
            "title": title,
            "breadcrumbs": _crumbs((str(title), "")),
            **_choices(request.user, flow),
        },
        status=status,
    )


def _field_errors_of(exc: Exception) -> dict[str, list[str]]:
    """The messages by field ("name", "conditions", "steps.2.user_id" …), for showing each by its input."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return {key: [str(m) for m in ms] for key, ms in exc.message_dict.items()}
    field = getattr(exc, "field", None)
    return {str(field): [str(exc)]} if field else {}


def _messages_of(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [str(m) for ms in exc.message_dict.values() for m in ms]
        return [str(m) for m in exc.messages]
    return [str(exc)]


@require_http_methods(["GET", "POST"])
@page_view
def flow_create(request: HttpRequest, code: str) -> HttpResponse:
    require(request.user, MODULE, "administer")
    document_type = _document_type(code)
    if request.method != "POST":
        return _render_form(request, document_type=document_type, flow=None, rows=_rows_from_flow(None), errors=[])
    rows = _rows_from_post(request.POST)
    if request.POST.get("more_rows"):  # more empty rows, nothing saved
        return _render_form(request, document_type=document_type, flow=None, rows=rows, errors=[])
    bu = rows[0]["business_unit_id"]
    try:
        flow = services.flow_create(
            actor=request.user,
            document_type=document_type.code,
            business_unit_id=as_int(bu, None),
            **_service_values(*rows),
        )
    except (ValidationError, Conflict, PermissionDenied) as exc:
        return _render_form(
            request,
            document_type=document_type,
            flow=None,
            rows=rows,
            errors=_messages_of(exc),
            field_errors=_field_errors_of(exc),
            status=422,
        )
    messages.success(request, _("The flow “%(name)s” was created.") % {"name": flow.name})
    return done(request, reverse("approvals:flow_list"))


@require_http_methods(["GET", "POST"])
@page_view
def flow_edit(request: HttpRequest, pk: int) -> HttpResponse:
    flow = selectors.flow_get(user=request.user, pk=pk)
    document_type = _document_type(flow.document_type)
    if request.method != "POST":
        rows = _rows_from_flow(flow, _reference_names(document_type))
        return _render_form(request, document_type=document_type, flow=flow, rows=rows, errors=[])
    rows = _rows_from_post(request.POST)
    rows[0]["business_unit_id"] = flow.business_unit_id or ""  # not posted (the select is disabled): fixed
    if request.POST.get("more_rows"):  # more empty rows, nothing saved
        return _render_form(request, document_type=document_type, flow=flow, rows=rows, errors=[])
    try:
        services.flow_update(actor=request.user, flow=flow, **_service_values(*rows))
    except (ValidationError, Conflict) as exc:
        return _render_form(
            request,
            document_type=document_type,
            flow=flow,
            rows=rows,
            errors=_messages_of(exc),
            field_errors=_field_errors_of(exc),
            status=422,
        )
    messages.success(request, _("The flow “%(name)s” was saved.") % {"name": flow.name})
    return done(request, reverse("approvals:flow_list"))


@require_POST
@page_view
def flow_active(request: HttpRequest, pk: int) -> HttpResponse:
    flow = selectors.flow_get(user=request.user, pk=pk)
    services.flow_update(actor=request.user, flow=flow, is_active=request.POST.get("is_active") == "1")
    return done(request, reverse("approvals:flow_list"))


@require_POST
@page_view
def flow_delete(request: HttpRequest, pk: int) -> HttpResponse:
    flow = selectors.flow_get(user=request.user, pk=pk)
    try:
        services.flow_delete(actor=request.user, flow=flow)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The flow was deleted."))
    return done(request, reverse("approvals:flow_list"))


# --- my delegations -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page_view
def delegations(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    typed = {"delegate_id": "", "starts_on": "", "ends_on": ""}
    if request.method == "POST":
        typed = {k: request.POST.get(k, "") for k in typed}
        try:
            services.delegation_create(
                actor=request.user,
                delegate=as_int(typed["delegate_id"], 0),
                starts_on=parse_date(typed["starts_on"] or "") if typed["starts_on"] else None,
                ends_on=parse_date(typed["ends_on"] or "") if typed["ends_on"] else None,
            )
        except (ValidationError, Conflict, ValueError) as exc:
            errors = _messages_of(exc)
        else:
            messages.success(request, _("Your approvals go to your delegate during that period."))
            return done(request, reverse("approvals:delegations"))
    return render_page(
        request,
        "approvals/delegations.html",
        {
            "delegations": list(selectors.delegation_list(user=request.user)),
            "people": list(
                addressable_people(request.user).exclude(pk=request.user.pk).order_by("display_name", "pk")[:500]
            ),
            "errors": errors,
            "typed": typed,
        },
        status=422 if errors else 200,
    )


@require_POST
@page_view
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    services.delegation_end(actor=request.user, delegation=pk)
    return done(request, reverse("approvals:delegations"))
