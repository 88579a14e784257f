"""REST endpoints of the pipeline:

- ``/api/v1/sales-processes`` (the processes the caller sees, each with its stages, their gates,
  checklists and playbooks; create one with ``Idempotency-Key``), a process by id (read, change) and
  its ``/stages`` (add, change, delete, ``/move`` up or down) with each stage's ``/checklist`` (add,
  delete);
- ``/api/v1/opportunities`` (list with the list page's filters and cursor pages, create with
  ``Idempotency-Key``), an opportunity by id (read, change), its ``/move``, ``/win``, ``/lose``,
  ``/reopen``, its deal ``/team``, product ``/lines``, ``/contacts``, ``/checklist`` and stage
  ``/history``.

Thin: parse → selector or service → schema. Every write goes through ``services`` (gates enforced
there, 409 naming what is missing); an id the caller cannot see is a 404 in the path and a 422
naming the field in a body ("No such customer."), never a hint that it exists.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel, ConfigDict

from xietong.core.api import ERROR_RESPONSES, Page, Ref, ref
from xietong.core.choices import DataScope
from xietong.core.errors import NotFound
from xietong.core.idempotency import idempotent
from xietong.core.visibility import addressable_people
from xietong.org import selectors as org_selectors
from xietong.org.models import BusinessUnit
from xietong.org.policies import require

from . import configuration, gates, selectors, services
from .models import (
    ChecklistCheck,
    ChecklistItem,
    DealTeamMember,
    Opportunity,
    SalesProcess,
    Stage,
    StageMove,
    weighted_amount,
)

router = Router(tags=["pipeline"])

MODULE = "opportunities"


# --- schemas -------------------------------------------------------------------------------------------


def _stored(obj: Any, name: str) -> tuple[bool, Any]:
    """A stored answer (an idempotent retry) is already a dict of the fields."""
    return (True, obj[name]) if isinstance(obj, dict) else (False, None)


class StageRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str


def _stage_ref(stage: Stage | None) -> dict[str, Any] | None:
    return {"id": stage.pk, "name": stage.name, "kind": stage.kind} if stage is not None else None


class RequirementOut(Schema):
    code: str
    label: str = Field(description="What the opportunity needs before it may enter the stage.")


class ChecklistItemOut(Schema):
    id: int
    text: str
    required: bool = Field(description="Must be ticked before the deal leaves the stage forward.")
    position: int


class StageOut(Schema):
    id: int
    name: str
    position: int
    kind: str = Field(description="open, won or lost.")
    probability: int
    forecast_category: str
    expected_days: int | None
    requirements: list[RequirementOut] = Field(description="The stage's gate.")
    checklist: list[ChecklistItemOut]
    playbook: str

    @staticmethod
    def resolve_requirements(obj: Any) -> list[dict[str, str]]:
        given, value = _stored(obj, "requirements")
        if given:
            return list(value)
        out = []
        for code in obj.requirements or []:
            requirement = gates.get(code)
            out.append({"code": code, "label": str(requirement.label) if requirement else code})
        return out

    @staticmethod
    def resolve_checklist(obj: Any) -> list[Any]:
        given, value = _stored(obj, "checklist")
        return list(value) if given else list(obj.checklist.all())


class ProcessOut(Schema):
    id: int
    name: str
    description: str
    business_unit: Ref
    is_default: bool
    is_active: bool
    created_at: datetime
    stages: list[StageOut] = Field(description="In order: the open stages, then won and lost.")

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        given, value = _stored(obj, "business_unit")
        return value if given else ref(obj.business_unit)

    @staticmethod
    def resolve_stages(obj: Any) -> list[Any]:
        given, value = _stored(obj, "stages")
        return list(value) if given else list(obj.stages.all())


class ChecklistItemIn(Schema):
    text: str
    required: bool = False


class NewStageIn(Schema):
    name: str
    probability: int = 0
    forecast_category: str = "pipeline"
    expected_days: int | None = None
    requirements: list[str] = Field([], description="Gate codes (see a process's stages for the labels).")
    playbook: str = ""


class StageIn(NewStageIn):
    """A stage of a new process: its kind and checklist too (a stage added later is open, its
    checklist grows item by item)."""

    kind: str = Field("open", description="open, won or lost.")
    checklist: list[ChecklistItemIn] = []


class StagePatch(Schema):
    name: str | None = None
    probability: int | None = None
    forecast_category: str | None = None
    expected_days: int | None = Field(None, description="null: no expected duration.")
    requirements: list[str] | None = Field(None, description="Gate codes; replaces the stage's gate.")
    playbook: str | None = None


class StageMoveIn(Schema):
    direction: str = Field(description="up or down: one place among the open stages.")


class ProcessIn(Schema):
    name: str
    description: str = ""
    business_unit_id: int | None = Field(None, description="Default: your business unit.")
    is_default: bool = False
    stages: list[StageIn] | None = Field(None, description="Default: the standard stages (初步接洽 … 赢单, 输单).")


class ProcessPatch(Schema):
    name: str | None = None
    description: str | None = None
    is_default: bool | None = Field(None, description="true: the BU's default process (the other one stops being).")
    is_active: bool | None = Field(None, description="The default process cannot be deactivated.")


class OpportunityOut(Schema):
    id: int
    name: str
    customer: Ref
    business_unit: Ref
    process_id: int
    stage: StageRef
    owner: Ref
    status: str = Field(description="open, won or lost.")
    amount: Decimal
    weighted_amount: Decimal = Field(description="amount × probability, to the cent.")
    expected_close: date | None
    probability: int
    forecast_category: str
    source: str
    lead_id: int | None
    campaign: str
    competitors: str
    next_step: str
    next_step_date: date | None
    description: str
    stage_entered_at: datetime
    last_activity_at: datetime | None
    closed_at: datetime | None
    lost_reason: str
    lost_to: str
    close_note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Any) -> Any:
        given, value = _stored(obj, "customer")
        return value if given else {"id": obj.customer_id, "name": obj.customer.name}

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        given, value = _stored(obj, "business_unit")
        return value if given else ref(obj.business_unit)

    @staticmethod
    def resolve_stage(obj: Any) -> Any:
        given, value = _stored(obj, "stage")
        return value if given else _stage_ref(obj.stage)

    @staticmethod
    def resolve_owner(obj: Any) -> Any:
        given, value = _stored(obj, "owner")
        return value if given else ref(obj.owner)


class OpportunityLineIn(Schema):
    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = Field(None, description="Default: the product's list price.")
    discount: Decimal | None = Field(None, description="Percent, 0 to 100.")
    delivery_month: str | None = Field(None, description="A month like 2027-03.")


class ContactRoleIn(Schema):
    contact_id: int
    role: str = Field("", description="The contact's role in the decision (decision_maker, influencer …).")


class OpportunityFields(Schema):
    amount: Decimal | None = Field(None, description="With product lines: their sum (set the lines instead).")
    expected_close: date | None = None
    probability: int | None = Field(None, description="Percent; null: the stage's default.")
    forecast_category: str | None = None
    source: str | None = None
    campaign: str | None = None
    competitors: str | None = None
    next_step: str | None = None
    next_step_date: date | None = None
    description: str | None = None


class OpportunityIn(OpportunityFields):
    customer_id: int
    name: str
    business_unit_id: int | None = Field(None, description="Default: your business unit.")
    process_id: int | None = Field(None, description="Default: the business unit's default process.")
    stage_id: int | None = Field(None, description="Default: the first open stage (its gate and those before apply).")
    owner_id: int | None = Field(None, description="Default: you.")
    lead_id: int | None = Field(None, description="The lead it came from.")
    lines: list[OpportunityLineIn] = []
    contacts: list[ContactRoleIn] = []


class OpportunityPatch(OpportunityFields):
    name: str | None = None
    owner_id: int | None = Field(None, description="Hand the opportunity over (the new owner joins the deal team).")


class MoveIn(Schema):
    stage_id: int


class WinIn(Schema):
    note: str = ""


class LoseIn(Schema):
    reason: str = Field(..., description="price, competitor, product, budget, timing, relationship or other.")
    lost_to: str = Field("", description="The competitor who won (required when the reason is competitor).")
    note: str = ""


class ReopenIn(Schema):
    stage_id: int | None = Field(None, description="Default: the last open stage it was in.")


class DealTeamMemberOut(Schema):
    user: Ref
    role: str
    access: str = Field(description="read or edit.")
    split: Decimal = Field(description="Share of the revenue credit in percent; the team's sum is 100.")
    added_at: datetime

    @staticmethod
    def resolve_user(obj: DealTeamMember) -> Any:
        return ref(obj.user)


class DealTeamMemberIn(Schema):
    user_id: int
    role: str = Field("other", description="sales, presales, supply, production, operations, finance, service, other.")
    access: str = Field("read", description="read or edit (the owner always edits).")
    split: Decimal = Field(Decimal("0"), description="Percent; the splits of the team sum to 100.")


class DealTeamIn(Schema):
    members: list[DealTeamMemberIn]


class OpportunityProductRef(Schema):
    id: int
    code: str
    name: str


class OpportunityLineOut(Schema):
    id: int
    product: OpportunityProductRef
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    delivery_month: date | None
    amount: Decimal = Field(description="quantity × unit price × (1 − discount), to the cent.")
    position: int

    @staticmethod
    def resolve_product(obj: Any) -> dict[str, Any]:
        return {"id": obj.product_id, "code": obj.product.code, "name": obj.product.name}


class LinesOut(Schema):
    amount: Decimal = Field(description="The opportunity's amount (the lines' sum when it has lines).")
    lines: list[OpportunityLineOut]


class LinesIn(Schema):
    lines: list[OpportunityLineIn]


class OpportunityContactOut(Schema):
    contact: Ref
    title: str
    role: str

    @staticmethod
    def resolve_contact(obj: Any) -> Any:
        return {"id": obj.contact_id, "name": obj.contact.name}

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.contact.title)


class ContactsIn(Schema):
    contacts: list[ContactRoleIn]


class CheckItemOut(Schema):
    id: int
    text: str
    required: bool
    done: bool
    done_by: Ref | None
    done_at: datetime | None


class ChecklistStageOut(Schema):
    stage: StageRef
    items: list[CheckItemOut]


class TickIn(Schema):
    done: bool = True


class MoveOut(Schema):
    id: int
    from_stage: StageRef | None
    to_stage: StageRef
    moved_at: datetime
    seconds_in_from: int | None = Field(description="How long it had been in the stage it left.")
    amount: Decimal = Field(description="The opportunity's amount at the move.")
    actor: Ref | None

    @staticmethod
    def resolve_from_stage(obj: StageMove) -> Any:
        return _stage_ref(obj.from_stage)

    @staticmethod
    def resolve_to_stage(obj: StageMove) -> Any:
        return _stage_ref(obj.to_stage)

    @staticmethod
    def resolve_actor(obj: StageMove) -> Any:
        return ref(obj.actor)


# --- helpers -------------------------------------------------------------------------------------------

# the services name records (customer, owner, lines[1].product …), the API their ids
_RENAMED = {
    "customer": "customer_id",
    "business_unit": "business_unit_id",
    "process": "process_id",
    "stage": "stage_id",
    "owner": "owner_id",
    "lead": "lead_id",
}
_NESTED = re.compile(r"^(lines|contacts|members)\[(\d+)\]\.(product|contact|user)$")


def _api_field(field: str) -> str:
    nested = _NESTED.match(field)
    if nested:
        return f"{nested.group(1)}[{nested.group(2)}].{nested.group(3)}_id"
    return _RENAMED.get(field, field)


@contextmanager
def _fields_as_in_the_api() -> Iterator[None]:
    """A service's ``ValidationError`` keyed by the API's field names."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({_api_field(k): v for k, v in exc.error_dict.items()}) from None


def _with_stages(processes: QuerySet[SalesProcess]) -> QuerySet[SalesProcess]:
    stages = Stage.objects.order_by("position").prefetch_related(
        Prefetch("checklist", queryset=ChecklistItem.objects.order_by("position", "pk"))
    )
    return processes.prefetch_related(Prefetch("stages", queryset=stages))


def _processes(user: Any) -> QuerySet[SalesProcess]:
    return _with_stages(selectors.visible_processes(user))


def _process_out(user: Any, pk: int) -> SalesProcess:
    found: SalesProcess | None = _processes(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _seen_processes(user: Any) -> QuerySet[SalesProcess]:
    """The processes the caller sees, inactive ones too: an administrator reactivates one with a
    PATCH. Whether the caller may change one is the services' check (403)."""
    return SalesProcess.objects.visible_to(user).select_related("business_unit")


def _seen_process(user: Any, pk: int) -> SalesProcess:
    found = _seen_processes(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _seen_stage(user: Any, process_id: int, pk: int) -> Stage:
    """A stage of that process: one of another process answers 404, like a missing one."""
    found = Stage.objects.filter(pk=pk, process=_seen_process(user, process_id)).first()
    if found is None:
        raise NotFound()
    return found


def _changed_process(user: Any, pk: int) -> SalesProcess:
    """The process as it is after a change, with its stages (inactive or not)."""
    return _with_stages(_seen_processes(user)).get(pk=pk)


def _pick_person(user: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = addressable_people(user).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("No such person.")})
    return found


def _pick_business_unit(user: Any, pk: int | None) -> BusinessUnit | None:
    """A BU where the caller may create opportunities (their own, or one a BU-wide scope covers)."""
    if pk is None:
        return None
    access = user.access
    found = BusinessUnit.objects.filter(pk=pk, is_active=True).first()
    held = access.widest_scope(MODULE, "create", pk) if found is not None else 0
    if found is None or not held or (pk not in access.business_unit_ids and held < DataScope.BUSINESS_UNIT):
        raise ValidationError({"business_unit_id": _("No such business unit.")})
    return found


def _month(value: str, field: str) -> date:
    try:
        year, month = value.strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationError({field: _("A month like 2027-03.")}) from None


def _out(user: Any, pk: int) -> Opportunity:
    return selectors.opportunity_get(user=user, pk=pk)


def _lines(opp: Opportunity) -> dict[str, Any]:
    lines = list(opp.lines.select_related("product").order_by("position", "pk"))
    return {"amount": Opportunity.objects.values_list("amount", flat=True).get(pk=opp.pk), "lines": lines}


def _contacts(opp: Opportunity) -> list[Any]:
    return list(opp.contact_roles.select_related("contact").order_by("pk"))


def _team(opp: Opportunity) -> list[DealTeamMember]:
    return list(DealTeamMember.objects.filter(opportunity_id=opp.pk).select_related("user").order_by("-split", "pk"))


def _checklist(opp: Opportunity) -> list[dict[str, Any]]:
    stages = list(Stage.objects.filter(process_id=opp.process_id).order_by("position"))
    items = ChecklistItem.objects.filter(stage__process_id=opp.process_id).order_by("stage__position", "position", "pk")
    checks = {c.item_id: c for c in ChecklistCheck.objects.filter(opportunity_id=opp.pk).select_related("done_by")}
    by_stage: dict[int, list[dict[str, Any]]] = {s.pk: [] for s in stages}
    for item in items:
        check = checks.get(item.pk)
        by_stage[item.stage_id].append(
            {
                "id": item.pk,
                "text": item.text,
                "required": item.required,
                "done": check is not None,
                "done_by": ref(check.done_by) if check is not None else None,
                "done_at": check.done_at if check is not None else None,
            }
        )
    return [{"stage": _stage_ref(s), "items": by_stage[s.pk]} for s in stages]


# --- sales processes -------------------------------------------------------------------------------------


@router.get("/sales-processes", response={200: list[ProcessOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_processes(request: HttpRequest, business_unit_id: int | None = None) -> Any:
    """The active processes of the business units the caller sells in, each with its stages."""
    processes = _processes(request.user)
    if business_unit_id is not None:
        processes = processes.filter(business_unit_id=business_unit_id)
    return processes


@router.post("/sales-processes", response={201: ProcessOut, **ERROR_RESPONSES})
def create_process(request: HttpRequest, payload: ProcessIn) -> Any:
    """Administrators of opportunities in the business unit (403 for others). Send an
    ``Idempotency-Key`` header when you may retry."""
    user: Any = request.user

    def create() -> tuple[int, Any]:
        if payload.business_unit_id is None:
            business_unit = user.business_unit
            if business_unit is None:
                raise ValidationError({"business_unit_id": _("Choose a business unit.")})
        else:
            business_unit = BusinessUnit.objects.filter(pk=payload.business_unit_id, is_active=True).first()
            if business_unit is None:
                raise ValidationError({"business_unit_id": _("No such business unit.")})
        process = configuration.process_create(
            actor=user,
            business_unit=business_unit,
            name=payload.name,
            description=payload.description,
            is_default=payload.is_default,
            stages=[s.dict() for s in payload.stages] if payload.stages is not None else None,
        )
        return 201, ProcessOut.from_orm(_process_out(user, process.pk)).model_dump(mode="json")

    status, body = idempotent(request, scope="pipeline.process_create", payload=payload.dict(), create=create)
    return Status(status, body)


@router.get("/sales-processes/{process_id}", response={200: ProcessOut, **ERROR_RESPONSES})
def get_process(request: HttpRequest, process_id: int) -> Any:
    return _process_out(request.user, process_id)


# Changing a process: administrators of opportunities in its BU (the services check it: 403 for
# whoever sees the process but may not administer it). Each change answers the whole process, since
# a stage's place, the default and the gates are read together.


@router.patch("/sales-processes/{process_id}", response={200: ProcessOut, **ERROR_RESPONSES})
def update_process(request: HttpRequest, process_id: int, payload: ProcessPatch) -> Any:
    """Only the fields given change. Making a process the default unmarks the BU's other one; the
    default stays active (422 on ``is_active``)."""
    process = _seen_process(request.user, process_id)
    configuration.process_update(actor=request.user, process=process, **payload.dict(exclude_unset=True))
    return _changed_process(request.user, process.pk)


@router.post("/sales-processes/{process_id}/stages", response={201: StageOut, **ERROR_RESPONSES})
def create_stage(request: HttpRequest, process_id: int, payload: NewStageIn) -> Any:
    """An open stage after the other open stages (won and lost stay last); ``/move`` places it."""
    process = _seen_process(request.user, process_id)
    stage = configuration.stage_create(actor=request.user, process=process, **payload.dict())
    return Status(201, stage)


@router.patch("/sales-processes/{process_id}/stages/{stage_id}", response={200: ProcessOut, **ERROR_RESPONSES})
def update_stage(request: HttpRequest, process_id: int, stage_id: int, payload: StagePatch) -> Any:
    """Only the fields given change; the kind and place stay. Opportunities in the stage keep their
    probability and forecast category."""
    stage = _seen_stage(request.user, process_id, stage_id)
    configuration.stage_update(actor=request.user, stage=stage, **payload.dict(exclude_unset=True))
    return _changed_process(request.user, process_id)


@router.delete("/sales-processes/{process_id}/stages/{stage_id}", response={204: None, **ERROR_RESPONSES})
def delete_stage(request: HttpRequest, process_id: int, stage_id: int) -> Any:
    """An open stage no opportunity is in or went through (422 on ``stage_id`` otherwise, as for the
    won and lost stages and the last open one)."""
    stage = _seen_stage(request.user, process_id, stage_id)
    with _fields_as_in_the_api():
        configuration.stage_delete(actor=request.user, stage=stage)
    return Status(204, None)


@router.post("/sales-processes/{process_id}/stages/{stage_id}/move", response={200: ProcessOut, **ERROR_RESPONSES})
def move_stage(request: HttpRequest, process_id: int, stage_id: int, payload: StageMoveIn) -> Any:
    """One place up or down among the open stages (at either end it stays; won and lost stay last)."""
    stage = _seen_stage(request.user, process_id, stage_id)
    with _fields_as_in_the_api():
        configuration.stage_move(actor=request.user, stage=stage, direction=payload.direction)
    return _changed_process(request.user, process_id)


@router.post(
    "/sales-processes/{process_id}/stages/{stage_id}/checklist",
    response={201: ChecklistItemOut, **ERROR_RESPONSES},
)
def create_checklist_item(request: HttpRequest, process_id: int, stage_id: int, payload: ChecklistItemIn) -> Any:
    """An item at the end of the stage's checklist."""
    stage = _seen_stage(request.user, process_id, stage_id)
    item = configuration.checklist_item_create(
        actor=request.user, stage=stage, text=payload.text, required=payload.required
    )
    return Status(201, item)


@router.delete(
    "/sales-processes/{process_id}/stages/{stage_id}/checklist/{item_id}",
    response={204: None, **ERROR_RESPONSES},
)
def delete_checklist_item(request: HttpRequest, process_id: int, stage_id: int, item_id: int) -> Any:
    """The item and its ticks on the opportunities."""
    stage = _seen_stage(request.user, process_id, stage_id)
    item = ChecklistItem.objects.filter(pk=item_id, stage=stage).first()
    if item is None:
        raise NotFound()
    configuration.checklist_item_delete(actor=request.user, item=item)
    return Status(204, None)


# --- opportunities ------------------------------------------------------------------------------------------


# A list page is read as plain rows (``values()``) and nested here: no model per row and per
# reference, so a page costs little more than its SQL (bench B3). One page, one query.
_OWN_COLUMNS = (
    "id",
    "name",
    "process_id",
    "status",
    "amount",
    "probability",
    "expected_close",
    "forecast_category",
    "source",
    "lead_id",
    "campaign",
    "competitors",
    "next_step",
    "next_step_date",
    "description",
    "stage_entered_at",
    "last_activity_at",
    "closed_at",
    "lost_reason",
    "lost_to",
    "close_note",
    "created_at",
    "updated_at",
)
_REFERENCE_COLUMNS = (
    "customer_id",
    "customer__name",
    "business_unit_id",
    "business_unit__name",
    "stage_id",
    "stage__name",
    "stage__kind",
    "owner_id",
    "owner__display_name",
    "owner__username",
)


def _nested(rows: list[dict[str, Any]], request: HttpRequest) -> list[dict[str, Any]]:
    """The page's rows as ``OpportunityOut`` reads them (the references as the detail shows them)."""
    return [
        {
            **{name: row[name] for name in _OWN_COLUMNS},
            "weighted_amount": weighted_amount(row["amount"], row["probability"]),
            "customer": {"id": row["customer_id"], "name": row["customer__name"]},
            "business_unit": {"id": row["business_unit_id"], "name": row["business_unit__name"]},
            "stage": {"id": row["stage_id"], "name": row["stage__name"], "kind": row["stage__kind"]},
            "owner": {"id": row["owner_id"], "name": row["owner__display_name"] or row["owner__username"]},
        }
        for row in rows
    ]


@router.get("/opportunities", response={200: list[OpportunityOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",), after=_nested)
def list_opportunities(
    request: HttpRequest,
    q: str = "",
    scope: str = "all",
    owner_id: int | None = None,
    team_id: int | None = None,
    business_unit_id: int | None = None,
    process_id: int | None = None,
    stage_id: int | None = None,
    status: str = "open",
    close_month: str = "",
    close_from: date | None = None,
    close_to: date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    product_line: str = "",
    customer_id: int | None = None,
) -> Any:
    """``scope``: all, mine (owned or on the deal team) or team (owned in the teams I manage, else my
    own teams, sub-teams included). ``status``: open (default), won, lost, closed or all.
    ``close_month``: 2027-03 (the expected close date in that month)."""
    user: Any = request.user
    require(user, MODULE, "view")
    if status not in selectors.STATUSES:
        raise ValidationError({"status": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(selectors.STATUSES)}})
    if scope not in selectors.SCOPES:
        raise ValidationError({"scope": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(selectors.SCOPES)}})
    team = None
    if team_id is not None:  # a team of the filter's choices, as on the board and the analysis
        team = org_selectors.team_choices(user=user).filter(pk=team_id).first()
        if team is None:
            raise ValidationError({"team_id": _("No such team.")})
    rows = selectors.opportunity_list(
        user=user,
        q=q.strip(),
        scope=scope,
        owner=owner_id,
        team=team,
        business_unit=business_unit_id,
        process=process_id,
        stage=stage_id,
        status=status,
        close_month=_month(close_month, "close_month") if close_month.strip() else None,
        close_from=close_from,
        close_to=close_to,
        amount_min=amount_min,
        amount_max=amount_max,
        product_line=product_line.strip(),
        customer=customer_id,
    )
    return rows.values(*_OWN_COLUMNS, *_REFERENCE_COLUMNS)


@router.post("/opportunities", response={201: OpportunityOut, **ERROR_RESPONSES})
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Any:
    """At the first open stage of the business unit's default process unless ``stage_id`` says
    otherwise; the gate of that stage and of the stages before it apply (409 names what is missing,
    counting the ``lines`` and ``contacts`` given). Send an ``Idempotency-Key`` header when you may
    retry: the same key and body answer the first result again and create nothing."""
    user: Any = request.user

    def create() -> tuple[int, Any]:
        from xietong.customers.models import Customer
        from xietong.leads.models import Lead

        customer = Customer.objects.visible_to(user).alive().filter(pk=payload.customer_id).first()
        if customer is None:
            raise ValidationError({"customer_id": _("No such customer.")})
        business_unit = _pick_business_unit(user, payload.business_unit_id)
        process = None
        if payload.process_id is not None:
            process = selectors.visible_processes(user).filter(pk=payload.process_id).first()
            if process is None:
                raise ValidationError({"process_id": _("No such sales process.")})
        stage = None
        if payload.stage_id is not None:
            stage = Stage.objects.filter(
                pk=payload.stage_id, process__in=selectors.visible_processes(user).values("pk")
            ).first()
            if stage is None or (process is not None and stage.process_id != process.pk):
                raise ValidationError({"stage_id": _("Choose a stage of the sales process.")})
            process = process or stage.process
        if business_unit is None and process is not None:
            business_unit = process.business_unit
        lead = None
        if payload.lead_id is not None:
            lead = Lead.objects.visible_to(user).filter(pk=payload.lead_id).first()
            if lead is None:
                raise ValidationError({"lead_id": _("No such lead.")})
        owner = _pick_person(user, payload.owner_id, "owner_id")
        fields = payload.dict(exclude_unset=True, include=set(OpportunityFields.model_fields))
        with transaction.atomic(), _fields_as_in_the_api():
            opp = services.opportunity_create(
                actor=user,
                customer=customer,
                name=payload.name,
                business_unit=business_unit,
                process=process,
                stage=stage,
                owner=owner,
                lead=lead,
                lines=[{**line.dict(exclude={"product_id"}), "product": line.product_id} for line in payload.lines],
                contacts=[{"contact": c.contact_id, "role": c.role} for c in payload.contacts],
                **fields,
            )
        return 201, OpportunityOut.from_orm(_out(user, opp.pk)).model_dump(mode="json")

    status, body = idempotent(request, scope="pipeline.opportunity_create", payload=payload.dict(), create=create)
    return Status(status, body)


@router.get("/opportunities/{opportunity_id}", response={200: OpportunityOut, **ERROR_RESPONSES})
def get_opportunity(request: HttpRequest, opportunity_id: int) -> Any:
    return _out(request.user, opportunity_id)


@router.patch("/opportunities/{opportunity_id}", response={200: OpportunityOut, **ERROR_RESPONSES})
def update_opportunity(request: HttpRequest, opportunity_id: int, payload: OpportunityPatch) -> Any:
    """Only the fields given change; ``probability: null`` goes back to the stage's default."""
    opp = _out(request.user, opportunity_id)
    fields = payload.dict(exclude_unset=True)
    owner_id = fields.pop("owner_id", None)
    owner = _pick_person(request.user, owner_id, "owner_id")
    with _fields_as_in_the_api():
        if owner is not None:
            services.opportunity_update(actor=request.user, opportunity=opp, owner=owner, **fields)
        else:
            services.opportunity_update(actor=request.user, opportunity=opp, **fields)
    return _out(request.user, opp.pk)


@router.post("/opportunities/{opportunity_id}/move", response={200: OpportunityOut, **ERROR_RESPONSES})
def move_opportunity(request: HttpRequest, opportunity_id: int, payload: MoveIn) -> Any:
    """To another stage of its process. Forward, the gates of every stage entered and the required
    checklist items of every stage left must be met: else 409 naming what is missing."""
    opp = _out(request.user, opportunity_id)
    with _fields_as_in_the_api():
        services.opportunity_move(actor=request.user, opportunity=opp, stage=payload.stage_id)
    return _out(request.user, opp.pk)


@router.post("/opportunities/{opportunity_id}/win", response={200: OpportunityOut, **ERROR_RESPONSES})
def win_opportunity(request: HttpRequest, opportunity_id: int, payload: WinIn) -> Any:
    """Won (the gates up to the won stage apply; 409 when missing or already closed)."""
    opp = _out(request.user, opportunity_id)
    with _fields_as_in_the_api():
        services.opportunity_win(actor=request.user, opportunity=opp, note=payload.note)
    return _out(request.user, opp.pk)


@router.post("/opportunities/{opportunity_id}/lose", response={200: OpportunityOut, **ERROR_RESPONSES})
def lose_opportunity(request: HttpRequest, opportunity_id: int, payload: LoseIn) -> Any:
    opp = _out(request.user, opportunity_id)
    with _fields_as_in_the_api():
        services.opportunity_lose(
            actor=request.user, opportunity=opp, reason=payload.reason, lost_to=payload.lost_to, note=payload.note
        )
    return _out(request.user, opp.pk)


@router.post("/opportunities/{opportunity_id}/reopen", response={200: OpportunityOut, **ERROR_RESPONSES})
def reopen_opportunity(request: HttpRequest, opportunity_id: int, payload: ReopenIn) -> Any:
    opp = _out(request.user, opportunity_id)
    with _fields_as_in_the_api():
        services.opportunity_reopen(actor=request.user, opportunity=opp, stage=payload.stage_id)
    return _out(request.user, opp.pk)


@router.get("/opportunities/{opportunity_id}/team", response={200: list[DealTeamMemberOut], **ERROR_RESPONSES})
def get_team(request: HttpRequest, opportunity_id: int) -> Any:
    return _team(_out(request.user, opportunity_id))


@router.put("/opportunities/{opportunity_id}/team", response={200: list[DealTeamMemberOut], **ERROR_RESPONSES})
def set_team(request: HttpRequest, opportunity_id: int, payload: DealTeamIn) -> Any:
    """Replace the deal team. The owner stays on it (with edit access); the splits sum to 100 (422
    with the sum otherwise)."""
    opp = _out(request.user, opportunity_id)
    members = [{**m.dict(exclude={"user_id"}), "user": m.user_id} for m in payload.members]
    with _fields_as_in_the_api():
        services.team_set(actor=request.user, opportunity=opp, members=members)
    return _team(opp)


@router.get("/opportunities/{opportunity_id}/lines", response={200: LinesOut, **ERROR_RESPONSES})
def get_lines(request: HttpRequest, opportunity_id: int) -> Any:
    return _lines(_out(request.user, opportunity_id))


@router.put("/opportunities/{opportunity_id}/lines", response={200: LinesOut, **ERROR_RESPONSES})
def set_lines(request: HttpRequest, opportunity_id: int, payload: LinesIn) -> Any:
    """Replace the product lines; the amount becomes their sum (no lines: it stays as it was)."""
    opp = _out(request.user, opportunity_id)
    lines = [{**line.dict(exclude={"product_id"}), "product": line.product_id} for line in payload.lines]
    with _fields_as_in_the_api():
        services.lines_set(actor=request.user, opportunity=opp, lines=lines)
    return _lines(opp)


@router.get("/opportunities/{opportunity_id}/contacts", response={200: list[OpportunityContactOut], **ERROR_RESPONSES})
def get_contacts(request: HttpRequest, opportunity_id: int) -> Any:
    return _contacts(_out(request.user, opportunity_id))


@router.put("/opportunities/{opportunity_id}/contacts", response={200: list[OpportunityContactOut], **ERROR_RESPONSES})
def set_contacts(request: HttpRequest, opportunity_id: int, payload: ContactsIn) -> Any:
    """Replace the customer's contacts on the opportunity, each with its role in the decision."""
    opp = _out(request.user, opportunity_id)
    contacts = [{"contact": c.contact_id, "role": c.role} for c in payload.contacts]
    with _fields_as_in_the_api():
        services.contacts_set(actor=request.user, opportunity=opp, contacts=contacts)
    return _contacts(opp)


@router.get("/opportunities/{opportunity_id}/checklist", response={200: list[ChecklistStageOut], **ERROR_RESPONSES})
def get_checklist(request: HttpRequest, opportunity_id: int) -> Any:
    """The checklist of every stage of the opportunity's process, with what is ticked."""
    return _checklist(_out(request.user, opportunity_id))


@router.post(
    "/opportunities/{opportunity_id}/checklist/{item_id}",
    response={200: list[ChecklistStageOut], **ERROR_RESPONSES},
)
def tick_checklist(request: HttpRequest, opportunity_id: int, item_id: int, payload: TickIn) -> Any:
    """Tick (``done: true``) or untick an item of the process's checklist; answers the checklist."""
    opp = _out(request.user, opportunity_id)
    if not ChecklistItem.objects.filter(pk=item_id, stage__process_id=opp.process_id).exists():
        raise NotFound()
    services.checklist_tick(actor=request.user, opportunity=opp, item=item_id, done=payload.done)
    return _checklist(opp)


@router.get("/opportunities/{opportunity_id}/history", response={200: list[MoveOut], **ERROR_RESPONSES})
def get_history(request: HttpRequest, opportunity_id: int) -> Any:
    """Every stage move, oldest first (the first: created, from no stage)."""
    opp = _out(request.user, opportunity_id)
    return list(
        StageMove.objects.filter(opportunity_id=opp.pk)
        .select_related("from_stage", "to_stage", "actor")
        .order_by("moved_at", "pk")
    )
