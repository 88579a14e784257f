"""REST endpoints of contracts:

- ``/api/v1/contracts`` (list with the list page's filters and cursor pages; create — by hand with
  ``lines``, or from a quote with ``quote_id`` — with ``Idempotency-Key``), a contract by id (read,
  ``PATCH`` with or without ``lines``: a draft, or an approved one which goes back to draft), its
  ``/submit`` (HQ review), ``/sign`` (multipart: ``signed_date`` and the ``scan``), ``/terminate``,
  ``/amend`` (a signed or active one: kept as a version, reviewed again), ``/versions`` and
  ``/versions/{version}``;
- ``/api/v1/contract-sequences`` (the BUs whose pattern the caller administers, with the next
  number) and ``/api/v1/contract-sequences/{business_unit_id}`` (GET, PUT).

Thin: parse → selector or service → schema. 404 for a contract outside the caller's scope, 409 for a
transition its status does not allow (naming the status) and for any change while it is in review,
422 naming the field (a line's field as ``lines.1.quantity``, rows counted from 0).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, FileEx, FormEx, P, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref
from xietong.core.errors import Conflict, NotFound
from xietong.core.idempotency import idempotent
from xietong.org.policies import require

from . import numbering, selectors, services
from .choices import ContractStatus
from .models import Contract, ContractLine

router = Router(tags=["contracts"])

MODULE = "contracts"


# --- schemas ----------------------------------------------------------------------------------------------


class ContractLineIn(Schema):
    id: int | None = Field(
        None,
        description="A line of this contract (``lines[].id`` of its answer), changed in place: orders made from "
        "it stay attached. Omit it for a new line. The lines left out are removed; a line in an order cannot be "
        "removed, change its product or go below the quantity ordered.",
    )
    product_id: int
    quantity: Decimal = Field(description="More than 0, at most three decimals.")
    unit_price: Decimal = Field(description="Without VAT, ¥, two decimals.")
    discount_amount: Decimal = Field(Decimal("0"), description="¥ off the line, at most its value.")
    tax_rate: Decimal = Field(Decimal("13"), description="VAT %: 13, 9, 6 or 0.")
    description: str = ""
    delivery_month: date | None = None


class ContractLineOut(Schema):
    id: int
    position: int
    product: Ref
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_amount: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    amount: Decimal
    delivery_month: date | None

    @staticmethod
    def resolve_product(obj: ContractLine) -> dict[str, Any]:
        if isinstance(obj, dict):
            return obj["product"]
        return {"id": obj.product_id, "name": obj.product.name}


class ContractFields(Schema):
    customer_signatory: str | None = None
    our_signatory: str | None = None
    payment_terms: str | None = None
    terms: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    renewal_notice_days: int | None = None


class ContractIn(ContractFields):
    title: str = Field("", description="Default from a quote: the quote's title.")
    quote_id: int | None = Field(
        None, description="Make it from this quote (accepted, approved or sent): its customer, opportunity and lines."
    )
    customer_id: int | None = Field(None, description="Required without quote_id.")
    business_unit_id: int | None = Field(None, description="Default: your business unit.")
    opportunity_id: int | None = None
    lines: list[ContractLineIn] = []


class ContractPatch(ContractFields):
    title: str | None = None
    party_a: str | None = None
    party_b: str | None = None
    lines: list[ContractLineIn] | None = Field(None, description="Given: replaces every line.")


class AmendIn(ContractPatch):
    reason: str


class TerminateIn(Schema):
    reason: str


class ContractOut(Schema):
    id: int
    number: str
    title: str
    status: str
    version: int
    customer: Ref
    business_unit: Ref
    owner: Ref
    opportunity_id: int | None
    quote_id: int | None
    party_a: str
    party_b: str
    customer_signatory: str
    our_signatory: str
    currency: str
    net_amount: Decimal
    tax_amount: Decimal
    amount: Decimal
    payment_terms: str
    terms: str
    start_date: date | None
    end_date: date | None
    signed_date: date | None
    has_scan: bool
    renewal_notice_days: int
    terminated_reason: str
    terminated_on: date | None = Field(description="The day of the termination; null unless terminated.")
    locked: bool = Field(description="In HQ review: every change answers 409.")
    created_at: datetime
    updated_at: datetime
    lines: list[ContractLineOut] | None = Field(None, description="On a single contract (not in lists).")

    @staticmethod
    def resolve_customer(obj: Contract) -> dict[str, Any]:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry)
            return obj["customer"]
        return {"id": obj.customer_id, "name": obj.customer.name}

    @staticmethod
    def resolve_business_unit(obj: Contract) -> dict[str, Any]:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry)
            return obj["business_unit"]
        return {"id": obj.business_unit_id, "name": obj.business_unit.name}

    @staticmethod
    def resolve_owner(obj: Contract) -> dict[str, Any]:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry)
            return obj["owner"]
        return {"id": obj.owner_id, "name": str(obj.owner)}

    @staticmethod
    def resolve_has_scan(obj: Contract) -> bool:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry)
            return obj["has_scan"]
        return bool(obj.signed_scan)

    @staticmethod
    def resolve_locked(obj: Contract) -> bool:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry)
            return obj["locked"]
        return services.is_locked(obj)

    @staticmethod
    def resolve_lines(obj: Contract) -> list[Any] | None:
        if isinstance(obj, dict):  # a stored answer (an idempotent retry)
            return obj["lines"]
        return getattr(obj, "detail_lines", None)


class VersionOut(Schema):
    version: int
    reason: str
    created_by: Ref | None
    created_at: datetime
    snapshot: dict[str, Any] = Field(description="The contract before the amendment: fields, owner_id and lines.")

    @staticmethod
    def resolve_created_by(obj: Any) -> dict[str, Any] | None:
        return {"id": obj.created_by_id, "name": str(obj.created_by)} if obj.created_by_id else None


class SequenceOut(Schema):
    business_unit: Ref
    pattern: str
    prefix: str
    reset_yearly: bool
    next_number: str = Field(description="What the next contract would be numbered (nothing taken).")


class SequenceIn(Schema):
    pattern: str = Field(description="{prefix} {yyyy} {yy} {mm} {seq} (with a width: {seq:04d}).")
    prefix: str = ""
    reset_yearly: bool = True


# --- helpers ----------------------------------------------------------------------------------------------


def _out(user: Any, pk: int) -> Contract:
    contract = selectors.contract_get(user=user, pk=pk)
    contract.detail_lines = list(contract.lines.all())  # type: ignore[attr-defined]
    return contract


def _lines(lines: list[ContractLineIn]) -> list[dict[str, Any]]:
    return [{**line.dict(exclude={"product_id"}), "product": line.product_id} for line in lines]


def _fields(payload: Schema, *, exclude: set[str]) -> dict[str, Any]:
    return {k: v for k, v in payload.dict(exclude_unset=True, exclude=exclude).items()}


# --- contracts ---------------------------------------------------------------------------------------------


@router.get("/contracts", response={200: list[ContractOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("-id",))
def list_contracts(
    request: HttpRequest,
    q: str = "",
    status: str = "",
    owner_id: int | None = None,
    customer_id: int | None = None,
    business_unit_id: int | None = None,
    opportunity_id: int | None = None,
    ending_before: date | None = None,
) -> Any:
    """``status``: one of draft, in_review, approved, signed, active, expired, terminated (empty: all).
    ``ending_before``: the end date before that day."""
    user: Any = request.user
    require(user, MODULE, "view")
    if status and status not in ContractStatus.values:
        raise ValidationError(
            {"status": _("Choose one of: %(allowed)s.") % {"allowed": ", ".join(ContractStatus.values)}}
        )
    return selectors.contract_list(
        user=user,
        q=q.strip(),
        status=status,
        owner=owner_id,
        customer=customer_id,
        business_unit=business_unit_id,
        opportunity=opportunity_id,
        ending_before=ending_before,
    )


@router.post("/contracts", response={201: ContractOut, **ERROR_RESPONSES})
def create_contract(request: HttpRequest, payload: ContractIn) -> Any:
    """A draft contract, numbered by the BU's pattern: from ``quote_id`` (its lines copied) or by
    hand (``customer_id`` and ``lines``). Send an ``Idempotency-Key`` header when you may retry."""
    user: Any = request.user

    def create() -> tuple[int, Any]:
        fields = _fields(
            payload, exclude={"quote_id", "customer_id", "business_unit_id", "opportunity_id", "lines", "title"}
        )
        if payload.quote_id is not None:
            if payload.lines:
                raise ValidationError({"lines": _("A contract from a quote takes the quote's lines.")})
            try:
                contract = services.contract_create_from_quote(
                    actor=user, quote=payload.quote_id, title=payload.title, **fields
                )
            except ValidationError as exc:
                raise _renamed(exc) from None
            except Conflict as exc:
                raise Conflict(str(exc), field="quote_id" if exc.field == "quote" else exc.field) from None
        else:
            if payload.customer_id is None:
                raise ValidationError({"customer_id": _("Choose the customer (or give quote_id).")})
            try:
                contract = services.contract_create(
                    actor=user,
                    customer=payload.customer_id,
                    title=payload.title,
                    business_unit=payload.business_unit_id,
                    opportunity=payload.opportunity_id,
                    lines=_lines(payload.lines),
                    **fields,
                )
            except ValidationError as exc:
                raise _renamed(exc) from None
        return 201, ContractOut.from_orm(_out(user, contract.pk)).model_dump(mode="json")

    status, body = idempotent(request, scope="contracts.contract_create", payload=payload.dict(), create=create)
    return Status(status, body)


def _renamed(exc: ValidationError) -> ValidationError:
    """The services' argument names → the API's field names (customer → customer_id …,
    ``lines[2].product`` → ``lines[2].product_id``)."""
    if not hasattr(exc, "error_dict"):
        return exc
    names = {
        "quote": "quote_id",
        "customer": "customer_id",
        "business_unit": "business_unit_id",
        "opportunity": "opportunity_id",
    }

    def api_name(name: str) -> str:
        if name.startswith("lines[") and name.endswith("].product"):  # the body's field is product_id
            return f"{name}_id"
        return names.get(name, name)

    return ValidationError({api_name(k): v for k, v in exc.message_dict.items()})


@router.get("/contracts/{contract_id}", response={200: ContractOut, **ERROR_RESPONSES})
def get_contract(request: HttpRequest, contract_id: int) -> Any:
    return _out(request.user, contract_id)


@router.patch("/contracts/{contract_id}", response={200: ContractOut, **ERROR_RESPONSES})
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch) -> Any:
    """A draft's fields (and lines when given); an approved contract changed goes back to draft.
    Signed and active contracts change by ``/amend``; in review: 409."""
    contract = selectors.contract_get(user=request.user, pk=contract_id)
    fields = _fields(payload, exclude={"lines"})
    lines = _lines(payload.lines) if payload.lines is not None else None
    try:
        services.contract_update(actor=request.user, contract=contract, lines=lines, **fields)
    except ValidationError as exc:
        raise _renamed(exc) from None
    return _out(request.user, contract.pk)


@router.post("/contracts/{contract_id}/submit", response={200: ContractOut, **ERROR_RESPONSES})
def submit_contract(request: HttpRequest, contract_id: int) -> Any:
    """A draft to HQ review: in_review (locked) while the approval runs, or approved at once when no
    approval flow applies."""
    contract = selectors.contract_get(user=request.user, pk=contract_id)
    services.contract_submit(actor=request.user, contract=contract)
    return _out(request.user, contract.pk)


@router.post("/contracts/{contract_id}/sign", response={200: ContractOut, **ERROR_RESPONSES})
def sign_contract(
    request: HttpRequest,
    contract_id: int,
    signed_date: FormEx[date | None, P(description="Not in the future; default today.")] = None,
    scan: FileEx[UploadedFile | None, P(description="The signed contract: PDF or image.")] = None,
) -> Any:
    """Multipart. An approved contract becomes signed (active at once when its start has come)."""
    contract = selectors.contract_get(user=request.user, pk=contract_id)
    services.contract_sign(
        actor=request.user, contract=contract, signed_date=signed_date or timezone.localdate(), scan=scan
    )
    return _out(request.user, contract.pk)


@router.post("/contracts/{contract_id}/terminate", response={200: ContractOut, **ERROR_RESPONSES})
def terminate_contract(request: HttpRequest, contract_id: int, payload: TerminateIn) -> Any:
    contract = selectors.contract_get(user=request.user, pk=contract_id)
    services.contract_terminate(actor=request.user, contract=contract, reason=payload.reason)
    return _out(request.user, contract.pk)


@router.post("/contracts/{contract_id}/amend", response={200: ContractOut, **ERROR_RESPONSES})
def amend_contract(request: HttpRequest, contract_id: int, payload: AmendIn) -> Any:
    """Change a signed or active contract: the current content becomes a version, the change goes
    through HQ review (the contract is in_review meanwhile)."""
    contract = selectors.contract_get(user=request.user, pk=contract_id)
    fields = _fields(payload, exclude={"lines", "reason"})
    lines = _lines(payload.lines) if payload.lines is not None else None
    try:
        services.contract_amend(actor=request.user, contract=contract, reason=payload.reason, lines=lines, **fields)
    except ValidationError as exc:
        raise _renamed(exc) from None
    return _out(request.user, contract.pk)


@router.get("/contracts/{contract_id}/versions", response={200: list[VersionOut], **ERROR_RESPONSES})
def list_versions(request: HttpRequest, contract_id: int) -> Any:
    """The versions amendments replaced, newest first."""
    contract = selectors.contract_get(user=request.user, pk=contract_id)
    return list(selectors.versions_of(contract))


@router.get("/contracts/{contract_id}/versions/{version}", response={200: VersionOut, **ERROR_RESPONSES})
def get_version(request: HttpRequest, contract_id: int, version: int) -> Any:
    contract = selectors.contract_get(user=request.user, pk=contract_id)
    found = selectors.versions_of(contract).filter(version=version).first()
    if found is None:
        raise NotFound()
    return found


# --- number patterns -----------------------------------------------------------------------------------------


def _sequence_out(bu: Any) -> dict[str, Any]:
    sequence = numbering.sequence_of(bu)
    return {
        "business_unit": {"id": bu.pk, "name": bu.name},
        "pattern": sequence.pattern,
        "prefix": sequence.prefix,
        "reset_yearly": sequence.reset_yearly,
        "next_number": numbering.preview(sequence, timezone.localdate()),
    }


def _administered(user: Any, pk: int) -> Any:
    bu = next((b for b in selectors.administered_business_units(user) if b.pk == pk), None)
    if bu is None:
        raise NotFound()
    return bu


@router.get("/contract-sequences", response={200: list[SequenceOut], **ERROR_RESPONSES})
def list_sequences(request: HttpRequest) -> Any:
    require(request.user, MODULE, "administer")
    return [_sequence_out(bu) for bu in selectors.administered_business_units(request.user)]


@router.get("/contract-sequences/{business_unit_id}", response={200: SequenceOut, **ERROR_RESPONSES})
def get_sequence(request: HttpRequest, business_unit_id: int) -> Any:
    """A BU the caller does not administer: 404."""
    return _sequence_out(_administered(request.user, business_unit_id))


@router.put("/contract-sequences/{business_unit_id}", response={200: SequenceOut, **ERROR_RESPONSES})
def set_sequence(request: HttpRequest, business_unit_id: int, payload: SequenceIn) -> Any:
    bu = _administered(request.user, business_unit_id)
    services.sequence_save(actor=request.user, business_unit=bu, **payload.dict())
    return _sequence_out(bu)
