"""The import pipeline: rows in, records out, in chunks, never one record at a time (except
opportunities: few, and each — the rows that give it and its product lines and contacts — goes
through the opportunity service for its stage gates, in a savepoint of its own; the chunks never
split an opportunity's rows — see ``OpportunityImporter``).

For each chunk of ``CHUNK_SIZE`` rows, in one transaction:

1. **clean** every mapped cell (``fields.py``); a row with any bad cell is reported, once per bad
   cell, as (line, column, reason) and goes no further — the other rows go on;
2. **key** each good row (customers: the credit code, else the normalised name; leads: the mobile,
   else the e-mail, else company + contact name, within the business unit; contacts: the same,
   within their customer; price book prices: product, customer and tier, within the book) and find
   the existing records of all the chunk's keys in **one query**,
   plus one query for which of them the importer may edit;
3. **decide** per row with the duplicate mode: create; skip; update the match (blank cells never
   erase a value); a match the importer may not edit is an error that says only that the record
   exists and is held by another owner. A key seen earlier in the file is a duplicate too;
4. **write** the chunk: new rows with PostgreSQL's ``COPY`` (ids taken from the sequence first, so
   relationships can point at new customers) or ``bulk_create`` elsewhere, updates with
   ``bulk_update`` of the rows locked ``FOR UPDATE``.

A dry run does 1–3 and writes nothing. The counts and the errors are exact: every non-blank row
is counted once as created, updated, skipped or in error (opportunities: ``created`` counts
opportunities, each made of one or more rows). One audit entry sums the import up.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.catalog.choices import ProductStatus
from xietong.catalog.models import Product, ProductCategory
from xietong.core import audit
from xietong.core.choices import DataScope
from xietong.core.errors import Conflict
from xietong.core.models import AuditEntry
from xietong.core.validators import is_valid_credit_code, is_valid_mobile, normalize_credit_code, normalize_mobile
from xietong.core.visibility import addressable_people
from xietong.customers import conflicts, pools
from xietong.customers.choices import Source
from xietong.customers.matching import index_names, normalise_name
from xietong.customers.models import Contact, Customer, Relationship
from xietong.leads import assignment
from xietong.leads.models import Lead
from xietong.pipeline import services as pipeline_services
from xietong.pipeline.models import Stage, line_amount
from xietong.quotes import services as quotes_services
from xietong.quotes.models import PriceBookEntry

from . import fields as F
from .models import DuplicateMode, ImportTarget
from .readers import Row

CHUNK_SIZE = 20_000
MAX_ERRORS = 100_000  # kept per import; rows in error are counted beyond it


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class ImportResult:
    processed: int = 0  # non-blank rows read
    created: int = 0
    updated: int = 0
    skipped: int = 0
    error_rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    def error(self, line: int, column: str, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, column, reason))


# --- what a row becomes --------------------------------------------------------------------------

CREATE, LINK, UPDATE, SKIP = "create", "link", "update", "skip"


@dataclass
class Planned:
    """One record the chunk will write: a new one (``create``), this BU's relationship with an
    existing customer (``link``), or changes to an existing one (``update``)."""

    action: str
    line: int
    values: dict[str, Any]
    pk: int | None = None  # the record's id, once known (existing or written)
    written: bool = False

    def merge(self, values: dict[str, Any]) -> None:
        """A later row of the file with the same key: its non-blank cells win."""
        self.values.update(values)


@dataclass(frozen=True)
class Match:
    pk: int
    editable: bool  # the importer may edit it (else: held by another owner)
    here: bool = True  # customers: this BU has a relationship with it (else: link one)


@dataclass
class Cleaned:
    line: int
    values: dict[str, Any]
    key: tuple[Any, ...] = ()


# --- the owner column ------------------------------------------------------------------------------


class Owners:
    """Owner cells → people the importer may address in the import's business unit (login name
    first, then the display name when it names one person)."""

    def __init__(self, actor: Any, business_unit: Any, module: str) -> None:
        self.actor = actor
        self.business_unit = business_unit
        self.module = module
        self._by_name: dict[str, int | None] | None = None

    def _load(self) -> dict[str, int | None]:
        by_name: dict[str, int | None] = {}
        by_display: dict[str, int | None] = {}
        people = addressable_people(self.actor).filter(business_unit=self.business_unit)
        for pk, username, display_name in people.values_list("pk", "username", "display_name"):
            by_name[username.lower()] = pk
            by_display[display_name] = None if display_name in by_display else pk
        for name, pk in by_display.items():
            by_name.setdefault(name, pk)
            by_name.setdefault(name.lower(), pk)
        return by_name

    def resolve(self, value: str) -> int:
        if self._by_name is None:
            self._by_name = self._load()
        key = value.strip()
        pk = self._by_name.get(key.lower(), self._by_name.get(key, 0))
        if pk is None:
            raise ValidationError(_("Several people are called “%(name)s”: use the login name.") % {"name": key})
        if not pk:
            raise ValidationError(_("No such person in this business unit: “%(name)s”.") % {"name": key})
        if pk != self.actor.pk and self.actor.access.widest_scope(self.module, "create", self.business_unit.pk) <= (
            DataScope.SELF
        ):
            raise ValidationError(_("Your data scope covers only your own records: leave the owner empty."))
        return pk


# --- writing rows in bulk ----------------------------------------------------------------------------


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


class _RowShape:
    """A model's insert columns in order, with each one's default (``auto_now`` fields: ``now``),
    so that a row is a copy of the defaults with the given values put in place."""

    def __init__(self, model: type[models.Model], now: datetime.datetime) -> None:
        self.fields = _columns(model)
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.defaults = [
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            for f in self.fields
        ]

    def row(self, values: dict[str, Any]) -> list[Any]:
        row = self.defaults.copy()
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return row


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], now: datetime.datetime) -> list[int]:
    """Insert ``rows`` (attname → value; the rest gets the field's default) and return their ids in
    order. PostgreSQL: ids from the table's sequence, then one ``COPY``; elsewhere ``bulk_create``."""
    if not rows:
        return []
    shape = _RowShape(model, now)
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
            )
            ids = [r[0] for r in cursor.fetchall()]
            columns = ", ".join(quote(c) for c in ["id", *(str(f.column) for f in shape.fields)])
            with cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for pk, values in zip(ids, rows, strict=True):
                    copy.write_row([pk, *shape.row(values)])
        return ids
    names = [f.attname for f in shape.fields]
    objs = [model(**dict(zip(names, shape.row(r), strict=True))) for r in rows]
    model._default_manager.bulk_create(objs, batch_size=2000)
    return [obj.pk for obj in objs]


def update_rows(model: type[models.Model], changes: dict[int, dict[str, Any]], now: datetime.datetime) -> None:
    """Apply ``changes`` (pk → attname → value) to the rows, locked ``FOR UPDATE`` in pk order."""
    if not changes:
        return
    objs = list(model._default_manager.select_for_update().filter(pk__in=list(changes)).order_by("pk"))
    names: set[str] = set()
    for obj in objs:
        for name, value in changes[obj.pk].items():
            setattr(obj, name, value)
            names.add(name)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        for obj in objs:
            obj.updated_at = now  # type: ignore[attr-defined]
        names.add("updated_at")
    if names:
        model._default_manager.bulk_update(objs, sorted(names), batch_size=1000)


# --- the targets ---------------------------------------------------------------------------------------


class Importer:
    """The shared steps; a subclass per target keys rows, finds matches and writes (opportunities
    run their own chunk: ``OpportunityImporter.run_chunk``)."""

    unique_key_kinds: frozenset[str] = frozenset()  # keys a second record may never share ("create anyway" refused)

    def __init__(
        self,
        *,
        actor: Any,
        spec: F.TargetSpec,
        business_unit: Any,
        mapping: dict[str, str],
        duplicate_mode: str,
        dry_run: bool,
        result: ImportResult,
        price_book: Any = None,
    ) -> None:
        self.actor = actor
        self.spec = spec
        self.business_unit = business_unit
        self.price_book = price_book
        self.mapping = mapping
        self.header_of = {name: header for header, name in mapping.items()}
        self.mode = duplicate_mode
        self.dry_run = dry_run
        self.result = result
        self.owners = Owners(actor, business_unit, spec.module)
        self.seen: dict[tuple[Any, ...], Planned] = {}
        self.now = timezone.now()
        self._cleaners = [(header, name, spec.get(name)) for header, name in mapping.items()]

    # -- 1. clean ---------------------------------------------------------------------------------
    def column(self, name: str) -> str:
        return self.header_of.get(name) or str(self.spec.get(name).label)  # type: ignore[union-attr]

    def clean(self, row: Row) -> Cleaned | None:
        """The row's values, or None when a cell is refused (the row is reported in error)."""
        values, errors = self.read(row)
        if errors:
            self.fail(row.line, errors)
            return None
        return Cleaned(row.line, values)

    def read(self, row: Row) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The row's good cells as field → value, and a (column, reason) for each refused or missing one."""
        values: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        for header, name, spec in self._cleaners:
            raw = row.values.get(header, "")
            if not raw:
                continue
            try:
                value = spec.clean(raw)  # type: ignore[union-attr]
                values[name] = self.owners.resolve(value) if name == F.OWNER else value
            except ValidationError as exc:
                errors.append((header, " ".join(exc.messages)))
        for spec in self.spec.fields:
            if (
                spec.required
                and spec.name not in values
                and not any(h == self.header_of.get(spec.name) for h, _m in errors)
            ):
                errors.append((self.column(spec.name), _("This field is required.")))
        any_headers = [self.header_of.get(n) for n in self.spec.required_any]
        if (
            self.spec.required_any
            and not any(n in values for n in self.spec.required_any)
            and not any(h in any_headers for h, _m in errors)
        ):
            first = next((n for n in self.spec.required_any if n in self.header_of), self.spec.required_any[0])
            errors.append((self.column(first), _("This field is required.")))
        return values, errors

    def fail(self, line: int, errors: list[tuple[str, str]]) -> None:
        self.result.error_rows += 1
        for column, reason in errors:
            self.result.error(line, column, reason)

    # -- 2.–4. per chunk --------------------------------------------------------------------------------
    def run_chunk(self, rows: list[Row]) -> None:
        self.begin_chunk()
        self.result.processed += len(rows)
        first_error = len(self.result.errors)
        cleaned = [c for c in (self.clean(r) for r in rows) if c is not None]
        cleaned = self.prepare(cleaned)
        for c in cleaned:
            c.key = self.key(c)
        wanted = {c.key for c in cleaned if c.key not in self.seen}
        matches = self.find(wanted) if wanted else {}
        plan: list[Planned] = []
        for c in cleaned:
            self.decide(c, matches.get(c.key), plan)
        if not self.dry_run:
            self.write(plan)
        for planned in plan:
            planned.written = True
        self.result.errors[first_error:] = sorted(self.result.errors[first_error:], key=lambda e: e.line)

    def begin_chunk(self) -> None:
        """Called in each chunk's transaction before its rows."""

    def group_key(self, row: Row) -> Hashable | None:
        """Consecutive rows with the same key belong together and are never split across chunks
        (opportunities: the rows of one opportunity); None: the row stands alone."""
        return None

    def prepare(self, rows: list[Cleaned]) -> list[Cleaned]:
        """Resolve what needs the whole chunk (contacts: their customers); rows in error drop out."""
        return rows

    def key(self, row: Cleaned) -> tuple[Any, ...]:
        raise NotImplementedError

    def find(self, keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], Match]:
        raise NotImplementedError

    def write(self, plan: list[Planned]) -> None:
        raise NotImplementedError

    def held(self, row: Cleaned) -> None:
        self.fail(
            row.line,
            [(self.column(self.key_field(row)), _("Already exists and is held by another owner."))],
        )

    def key_field(self, row: Cleaned) -> str:
        raise NotImplementedError

    def decide(self, row: Cleaned, match: Match | None, plan: list[Planned]) -> None:
        result = self.result
        prior = self.seen.get(row.key)
        if prior is not None:  # the same key earlier in the file
            if self.mode == DuplicateMode.SKIP:
                result.skipped += 1
            elif self.mode == DuplicateMode.UPDATE:
                if prior.written:  # in an earlier chunk: update the record it became
                    prior = Planned(UPDATE, row.line, {}, pk=prior.pk)
                    self.seen[row.key] = prior
                    plan.append(prior)
                prior.merge(row.values)
                result.updated += 1
            elif row.key[0] in self.unique_key_kinds:
                self.fail(
                    row.line,
                    [
                        (
                            self.column(self.key_field(row)),
                            _("Same as line %(line)d of this file.") % {"line": prior.line},
                        )
                    ],
                )
            else:
                self._create(row, plan)
            return
        if match is None:
            self._create(row, plan)
        elif not match.editable:
            self.held(row)
        elif not match.here:  # customers: a customer of other BUs only → this BU's relationship
            if self.mode == DuplicateMode.CREATE and row.key[0] not in self.unique_key_kinds:
                self._create(row, plan)
            elif self.admit(row):
                planned = Planned(LINK, row.line, dict(row.values), pk=match.pk)
                self.seen[row.key] = planned
                plan.append(planned)
                result.created += 1
        elif self.mode == DuplicateMode.SKIP:
            self.seen[row.key] = Planned(SKIP, row.line, {}, pk=match.pk, written=True)
            result.skipped += 1
        elif self.mode == DuplicateMode.UPDATE:
            planned = Planned(UPDATE, row.line, dict(row.values), pk=match.pk)
            self.seen[row.key] = planned
            plan.append(planned)
            result.updated += 1
        elif row.key[0] in self.unique_key_kinds:
            self.fail(row.line, [(self.column(self.key_field(row)), self.unique_message())])
        else:
            self._create(row, plan)

    def unique_message(self) -> str:
        return _("Already exists.")

    def admit(self, row: Cleaned) -> bool:
        """Whether a row that makes a new record may (customers: its owner's limit); a refused row is
        reported here."""
        return True

    def _create(self, row: Cleaned, plan: list[Planned]) -> None:
        if not self.admit(row):
            return
        planned = Planned(CREATE, row.line, dict(row.values))
        self.seen[row.key] = planned
        plan.append(planned)
        self.result.created += 1

    def record_values(self, values: dict[str, Any], *, exclude: Iterable[str] = ()) -> dict[str, Any]:
        """The cleaned values that are columns of the record (attnames)."""
        skip = {F.OWNER, F.CUSTOMER, F.CUSTOMER_CREDIT_CODE, *exclude}
        return {k: v for k, v in values.items() if k not in skip}


class CustomerImporter(Importer):
    unique_key_kinds = frozenset({"credit_code"})

    relationship_fields = frozenset(f.name for f in F.CUSTOMERS.fields if f.on_relationship)

    budgets: dict[int, pools.OwnBudget | None]

    def begin_chunk(self) -> None:
        # each chunk locks its owners' rows and counts what they own afresh; a dry run writes
        # nothing, so it keeps counting across chunks instead
        if not self.dry_run or not hasattr(self, "budgets"):
            self.budgets = {}

    def admit(self, row: Cleaned) -> bool:
        """A new relationship makes its owner (the owner column, else the importer) own one more
        customer in the BU: within their limit, as when they create or claim one."""
        owner_id = row.values.get(F.OWNER) or self.actor.pk
        if owner_id not in self.budgets:
            owner = self.actor if owner_id == self.actor.pk else get_user_model().objects.get(pk=owner_id)
            self.budgets[owner_id] = pools.own_budget(user=owner, business_unit=self.business_unit)
        budget = self.budgets[owner_id]
        refusal = budget.take() if budget is not None else None
        if refusal is None:
            return True
        self.fail(row.line, [(self.column(F.OWNER), refusal)])
        return False

    def key(self, row: Cleaned) -> tuple[Any, ...]:
        code = row.values.get("credit_code")
        if code:
            return ("credit_code", code)
        return ("name", normalise_name(row.values["name"]) or row.values["name"])

    def key_field(self, row: Cleaned) -> str:
        return row.key[0]

    def unique_message(self) -> str:
        return _("A customer with this credit code already exists.")

    def find(self, keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], Match]:
        codes = {k[1] for k in keys if k[0] == "credit_code"}
        names = {k[1] for k in keys if k[0] == "name"}
        found: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        by_code = Q(credit_code__in=codes) & ~Q(credit_code="")  # the unique index's condition
        rows = (
            Customer.objects.alive()
            .filter(by_code | Q(name_key__in=names))
            .order_by("pk")
            .values_list("pk", "credit_code", "name_key")
        )
        for pk, code, name_key in rows:
            if code in codes:
                found[("credit_code", code)].append(pk)
            if name_key in names:
                found[("name", name_key)].append(pk)
        if not found:
            return {}
        ids = {pk for pks in found.values() for pk in pks}
        here = set(
            Relationship.objects.filter(business_unit=self.business_unit, customer_id__in=ids).values_list(
                "customer_id", flat=True
            )
        )
        editable = set(
            Relationship.objects.visible_to(self.actor, "edit")
            .filter(business_unit=self.business_unit, customer_id__in=here)
            .values_list("customer_id", flat=True)
        )
        matches = {}
        for key, pks in found.items():
            # the importer's own first, then one this BU holds, then one of other BUs only
            best = next((p for p in pks if p in editable), None) or next((p for p in pks if p in here), pks[0])
            matches[key] = Match(best, editable=best in editable or best not in here, here=best in here)
        return matches

    def _customer_values(self, values: dict[str, Any]) -> dict[str, Any]:
        out = self.record_values(values, exclude=self.relationship_fields)
        if "name" in out:
            out["name_key"] = normalise_name(out["name"])
        return out

    def _relationship_values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k in self.relationship_fields}

    def write(self, plan: list[Planned]) -> None:
        creates = [p for p in plan if p.action == CREATE]
        customer_rows = []
        for p in creates:
            values = {"source": Source.IMPORT, **self._customer_values(p.values), "created_by_id": self.actor.pk}
            customer_rows.append(values)
        for p, pk in zip(creates, insert_rows(Customer, customer_rows, self.now), strict=True):
            p.pk = pk
        # the similar-name check finds imported customers at once (one bulk insert of tokens a chunk)
        keys = [(p.pk, row.get("name_key", "")) for p, row in zip(creates, customer_rows, strict=True) if p.pk]
        index_names(target="customer", names=keys)
        links = [p for p in plan if p.action in (CREATE, LINK)]
        insert_rows(
            Relationship,
            [
                {
                    **self._relationship_values(p.values),
                    "customer_id": p.pk,
                    "business_unit_id": self.business_unit.pk,
                    "owner_id": p.values.get(F.OWNER) or self.actor.pk,
                }
                for p in links
            ],
            self.now,
        )
        # an existing customer of other BUs now worked here too: their owners and managers hear of it
        conflicts.notify_cross_bu_many(
            business_unit=self.business_unit,
            owners={p.pk: p.values.get(F.OWNER) or self.actor.pk for p in plan if p.action == LINK and p.pk},
            actor=self.actor,
        )
        card = [p for p in plan if p.action == UPDATE or (p.action == LINK and self.mode == DuplicateMode.UPDATE)]
        card_changes = {p.pk: self._customer_values(p.values) for p in card if p.pk}
        update_rows(Customer, card_changes, self.now)
        index_names(target="customer", names=[(pk, v["name_key"]) for pk, v in card_changes.items() if "name_key" in v])
        rel_changes = {p.pk: self._relationship_values(p.values) for p in plan if p.action == UPDATE and p.pk}
        rel_changes = {pk: v for pk, v in rel_changes.items() if v}
        if rel_changes:
            rels = dict(
                Relationship.objects.filter(business_unit=self.business_unit, customer_id__in=rel_changes).values_list(
                    "customer_id", "pk"
                )
            )
            update_rows(Relationship, {rels[c]: v for c, v in rel_changes.items() if c in rels}, self.now)


class LeadImporter(Importer):
    def key(self, row: Cleaned) -> tuple[Any, ...]:
        values = row.values
        if values.get("mobile"):
            return ("mobile", values["mobile"])
        if values.get("email"):
            return ("email", values["email"])
        return ("name", normalise_name(values.get("company", "")), values["contact_name"])

    def key_field(self, row: Cleaned) -> str:
        return {"mobile": "mobile", "email": "email"}.get(row.key[0], "contact_name")

    def find(self, keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], Match]:
        mobiles = {k[1] for k in keys if k[0] == "mobile"}
        emails = {k[1] for k in keys if k[0] == "email"}
        pairs = {(k[1], k[2]) for k in keys if k[0] == "name"}
        condition = Q(mobile_key__in=mobiles) | Q(email__in=emails)
        if pairs:
            condition |= Q(company_key__in={p[0] for p in pairs}, contact_name__in={p[1] for p in pairs})
        found: dict[tuple[Any, ...], int] = {}
        rows = (
            Lead.objects.alive()
            .filter(condition, business_unit=self.business_unit)
            .order_by("pk")
            .values_list("pk", "mobile_key", "email", "company_key", "contact_name")
        )
        for pk, mobile_key, email, company_key, contact_name in rows:
            for key in (("mobile", mobile_key), ("email", F.email_key(email)), ("name", company_key, contact_name)):
                if key in keys:
                    found.setdefault(key, pk)
        if not found:
            return {}
        editable = set(
            Lead.objects.visible_to(self.actor, "edit").filter(pk__in=set(found.values())).values_list("pk", flat=True)
        )
        return {key: Match(pk, editable=pk in editable) for key, pk in found.items()}

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        out = self.record_values(values)
        if "company" in out:
            out["company_key"] = normalise_name(out["company"])
        if "mobile" in out:
            out["mobile_key"] = normalize_mobile(out["mobile"])
        return out

    def _placed(self, values: dict[str, Any]) -> dict[str, Any]:
        """Who gets a new lead: the owner column, else the BU's assignment rules (as for every captured
        lead), else the importer."""
        if values.get(F.OWNER):
            return {"owner_id": values[F.OWNER], "assigned_at": self.now}
        lead = Lead(business_unit=self.business_unit, **self._values(values))
        decision = assignment.decide(lead)
        if decision is None:
            return {"owner_id": self.actor.pk, "assigned_at": self.now}
        assignment.apply(lead, decision)
        return {
            "owner_id": lead.owner_id,
            "pool_id": lead.pool_id,
            "assigned_at": lead.assigned_at,
            "assigned_by_rule_id": lead.assigned_by_rule_id,
        }

    def write(self, plan: list[Planned]) -> None:
        creates = [p for p in plan if p.action == CREATE]
        rows = [
            {
                "source": Source.IMPORT,
                **self._values(p.values),
                "business_unit_id": self.business_unit.pk,
                **self._placed(p.values),
                "created_by_id": self.actor.pk,
            }
            for p in creates
        ]
        ids = insert_rows(Lead, rows, self.now)
        index_names(target="lead", names=[(pk, row.get("company_key", "")) for pk, row in zip(ids, rows, strict=True)])
        changes = {p.pk: self._values(p.values) for p in plan if p.action == UPDATE and p.pk}
        update_rows(Lead, changes, self.now)
        index_names(target="lead", names=[(pk, v["company_key"]) for pk, v in changes.items() if "company_key" in v])


class ContactImporter(Importer):
    def prepare(self, rows: list[Cleaned]) -> list[Cleaned]:
        """Each row's customer: by credit code when given, else by name; only customers the importer
        may edit (one query for the chunk). Missing or outside the scope: "No such customer."."""
        codes = {r.values[F.CUSTOMER_CREDIT_CODE] for r in rows if r.values.get(F.CUSTOMER_CREDIT_CODE)}
        names = {normalise_name(r.values[F.CUSTOMER]) for r in rows if r.values.get(F.CUSTOMER)}
        by_code: dict[str, int] = {}
        by_name: dict[str, list[int]] = defaultdict(list)
        if codes or names:
            found = (
                Customer.objects.visible_to(self.actor, "edit")
                .alive()
                .filter(Q(credit_code__in=codes) | Q(name_key__in=names))
                .order_by("pk")
                .values_list("pk", "credit_code", "name_key")
            )
            for pk, code, name_key in found:
                if code:
                    by_code[code] = pk
                by_name[name_key].append(pk)
        kept = []
        for row in rows:
            given = row.values.get(F.CUSTOMER_CREDIT_CODE)
            if given:
                column = self.column(F.CUSTOMER_CREDIT_CODE)
                candidates = [by_code[given]] if given in by_code else []
            else:
                candidates = by_name.get(normalise_name(row.values[F.CUSTOMER]), [])
                column = self.column(F.CUSTOMER)
            if not candidates:
                self.fail(row.line, [(column, _("No such customer."))])
            elif len(candidates) > 1:
                self.fail(row.line, [(column, _("Several customers have this name: give the credit code."))])
            else:
                row.values["customer_id"] = candidates[0]
                kept.append(row)
        return kept

    def key(self, row: Cleaned) -> tuple[Any, ...]:
        values = row.values
        if values.get("mobile"):
            return ("mobile", values["customer_id"], values["mobile"])
        if values.get("email"):
            return ("email", values["customer_id"], values["email"])
        return ("name", values["customer_id"], values["name"])

    def key_field(self, row: Cleaned) -> str:
        return row.key[0]

    def find(self, keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], Match]:
        customers = {k[1] for k in keys}
        values = {k[2] for k in keys}
        rows = (
            Contact.objects.filter(merged_into__isnull=True, customer_id__in=customers)
            .filter(Q(mobile_key__in=values) | Q(email__in=values) | Q(name__in=values))
            .order_by("pk")
            .values_list("pk", "customer_id", "mobile_key", "email", "name")
        )
        found: dict[tuple[Any, ...], int] = {}
        for pk, customer_id, mobile_key, email, name in rows:
            for key in (
                ("mobile", customer_id, mobile_key),
                ("email", customer_id, F.email_key(email)),
                ("name", customer_id, name),
            ):
                if key in keys:
                    found.setdefault(key, pk)
        if not found:
            return {}
        editable = set(
            Contact.objects.visible_to(self.actor, "edit")
            .filter(pk__in=set(found.values()))
            .values_list("pk", flat=True)
        )
        return {key: Match(pk, editable=pk in editable) for key, pk in found.items()}

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        out = self.record_values(values)
        if "mobile" in out:
            out["mobile_key"] = normalize_mobile(out["mobile"])
        return out

    def write(self, plan: list[Planned]) -> None:
        rows = [{**self._values(p.values), "created_by_id": self.actor.pk} for p in plan if p.action == CREATE]
        insert_rows(Contact, rows, self.now)
        update_rows(
            Contact,
            {
                p.pk: {k: v for k, v in self._values(p.values).items() if k != "customer_id"}
                for p in plan
                if p.action == UPDATE and p.pk
            },
            self.now,
        )


class ProductImporter(Importer):
    """Products of the import's business unit, keyed by their code (unique in the whole group): a
    code of a product the importer may not edit (another BU's, the whole group's, or outside their
    catalogue scope) is an error; "create anyway" is refused for an existing code."""

    unique_key_kinds = frozenset({"code"})

    def prepare(self, rows: list[Cleaned]) -> list[Cleaned]:
        """Each row's category by name among the active categories (one query for the chunk)."""
        names = {r.values[F.CATEGORY] for r in rows if r.values.get(F.CATEGORY)}
        by_name: dict[str, list[int]] = defaultdict(list)
        if names:
            found = ProductCategory.objects.filter(name__in=names, is_active=True).order_by("pk")
            for pk, name in found.values_list("pk", "name"):
                by_name[name].append(pk)
        kept = []
        for row in rows:
            name = row.values.pop(F.CATEGORY, None)
            if name:
                candidates = by_name.get(name, [])
                if len(candidates) != 1:
                    reason = (
                        _("No such product category.") if not candidates else _("Several categories have this name.")
                    )
                    self.fail(row.line, [(self.column(F.CATEGORY), reason)])
                    continue
                row.values["category_id"] = candidates[0]
            kept.append(row)
        return kept

    def key(self, row: Cleaned) -> tuple[Any, ...]:
        return ("code", row.values["code"])

    def key_field(self, row: Cleaned) -> str:
        return "code"

    def unique_message(self) -> str:
        return _("A product with this code already exists.")

    def held(self, row: Cleaned) -> None:
        self.fail(row.line, [(self.column("code"), _("A product with this code exists and you may not change it."))])

    def find(self, keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], Match]:
        codes = {k[1] for k in keys}
        found = dict(Product.objects.filter(code__in=codes).values_list("code", "pk"))
        if not found:
            return {}
        editable = set(
            Product.objects.visible_to(self.actor, "edit")
            .filter(pk__in=found.values(), business_unit=self.business_unit)
            .values_list("pk", flat=True)
        )
        return {("code", code): Match(pk, editable=pk in editable) for code, pk in found.items()}

    def admit(self, row: Cleaned) -> bool:
        """A new product needs its name and list price."""
        missing = [name for name in ("name", "list_price") if name not in row.values]
        if missing:
            self.fail(row.line, [(self.column(name), _("This field is required.")) for name in missing])
            return False
        return True

    def write(self, plan: list[Planned]) -> None:
        rows = [
            {**self.record_values(p.values), "business_unit_id": self.business_unit.pk, "created_by_id": self.actor.pk}
            for p in plan
            if p.action == CREATE
        ]
        insert_rows(Product, rows, self.now)
        changes = {p.pk: self.record_values(p.values) for p in plan if p.action == UPDATE and p.pk}
        update_rows(Product, changes, self.now)


class PriceBookEntryImporter(Importer):
    """Prices of one price book (the job's): each row a product's unit price from a quantity on (its
    tier; blank: 1, as on the price form), for every customer or for the one named. The product by
    its code and the customer (by credit code, else by name) among those the importer sees, as on
    the price form. Keyed by product, customer and tier within the book: a row matching a price of
    the book is skipped or updates its unit price; "create anyway" is refused (the book holds one
    price per product, customer and tier). Each chunk takes the book's lock and checks again that the
    importer may change it, as a change by hand does (an inactive or expired book included); the
    prices are written by ``quotes.services.entries_save_many`` (one audit entry on the book)."""

    unique_key_kinds = frozenset({"price"})

    book: Any

    def begin_chunk(self) -> None:
        self.book = quotes_services.price_book_for_change(actor=self.actor, price_book=self.price_book, lock=True)

    def prepare(self, rows: list[Cleaned]) -> list[Cleaned]:
        """Each row's product and customer (one query each for the chunk); the tier 1 when blank."""
        codes = {r.values[F.PRODUCT] for r in rows if F.PRODUCT in r.values}
        products = {p.code: p for p in Product.objects.visible_to(self.actor).filter(code__in=codes)} if codes else {}
        credit_codes: set[str] = set()
        names: set[str] = set()
        for row in rows:
            given = self._customer_given(row)
            if given is not None:
                (credit_codes if given[0] == "code" else names).add(given[1])
        keys = {normalise_name(n) for n in names} - {""}
        by_code: dict[str, Customer] = {}
        by_name: dict[str, list[Customer]] = defaultdict(list)
        by_key: dict[str, list[Customer]] = defaultdict(list)
        if credit_codes or names:
            found = (
                Customer.objects.visible_to(self.actor)
                .alive()
                .filter(Q(credit_code__in=credit_codes) | Q(name__in=names) | Q(name_key__in=keys))
                .order_by("pk")
            )
            for customer in found:
                if customer.credit_code:
                    by_code[customer.credit_code] = customer
                by_name[customer.name].append(customer)
                by_key[customer.name_key].append(customer)
        kept = []
        for row in rows:
            errors: list[tuple[str, str]] = []
            product = products.get(row.values[F.PRODUCT])
            if product is None:
                errors.append((self.column(F.PRODUCT), _("No such product.")))
            given = self._customer_given(row)
            chosen: Customer | None = None
            if given is not None:
                kind, value, column = given
                if kind == "code":
                    candidates = [by_code[value]] if value in by_code else []
                else:
                    candidates = by_name.get(value) or by_key.get(normalise_name(value), [])
                if not candidates:
                    errors.append((column, _("No such customer.")))
                elif len(candidates) > 1:
                    errors.append((column, _("Several customers have this name: give the credit code.")))
                else:
                    chosen = candidates[0]
            tier = row.values.get("min_quantity", Decimal("1"))
            if not quotes_services.tier_fits(tier, row.values["unit_price"]):
                errors.append((self.column("unit_price"), str(quotes_services.TIER_TOO_LARGE)))
            if errors:
                self.fail(row.line, errors)
                continue
            row.values = {
                F.PRODUCT: product,
                F.CUSTOMER: chosen,
                "min_quantity": tier,
                "unit_price": row.values["unit_price"],
            }
            kept.append(row)
        return kept

    def _customer_given(self, row: Cleaned) -> tuple[str, str, str] | None:
        """("code" or "name", the value, its column): the credit code column first, then the customer
        column (a credit code there counts as one)."""
        code = row.values.get(F.CUSTOMER_CREDIT_CODE)
        if code:
            return "code", code, self.column(F.CUSTOMER_CREDIT_CODE)
        name = row.values.get(F.CUSTOMER)
        if not name or not isinstance(name, str):
            return None
        as_code = normalize_credit_code(name)
        if is_valid_credit_code(as_code):
            return "code", as_code, self.column(F.CUSTOMER)
        return "name", name, self.column(F.CUSTOMER)

    def key(self, row: Cleaned) -> tuple[Any, ...]:
        customer = row.values[F.CUSTOMER]
        return ("price", row.values[F.PRODUCT].pk, customer.pk if customer else 0, row.values["min_quantity"])

    def key_field(self, row: Cleaned) -> str:
        return F.PRODUCT

    def unique_message(self) -> str:
        return _("The price book has a price of this product from this quantity already.")

    def find(self, keys: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], Match]:
        products = {k[1] for k in keys}
        rows = (
            PriceBookEntry.objects.filter(price_book=self.book, product_id__in=products)
            .order_by("pk")
            .values_list("pk", "product_id", "customer_id", "min_quantity")
        )
        found: dict[tuple[Any, ...], Match] = {}
        for pk, product_id, customer_id, min_quantity in rows:
            key = ("price", product_id, customer_id or 0, min_quantity)
            if key in keys:
                found.setdefault(key, Match(pk, editable=True))
        return found

    def write(self, plan: list[Planned]) -> None:
        creates = [p for p in plan if p.action == CREATE]
        new = [
            {
                "product": p.values[F.PRODUCT],
                "customer": p.values[F.CUSTOMER],
                "min_quantity": p.values["min_quantity"],
                "unit_price": p.values["unit_price"],
            }
            for p in creates
        ]
        prices = {p.pk: p.values["unit_price"] for p in plan if p.action == UPDATE and p.pk}
        created = quotes_services.entries_save_many(actor=self.actor, price_book=self.book, new=new, prices=prices)
        for planned, entry in zip(creates, created, strict=True):
            planned.pk = entry.pk


class _DryRun(Exception):
    """Rolls a dry run's opportunity back (its savepoint) once the services have checked it."""


@dataclass
class _Group:
    """Consecutive rows of the file with the same customer and opportunity name: one opportunity.
    Its fields come from the first row that gives each; each row may add a product line and a
    contact. An error anywhere refuses the whole group, so an opportunity is never imported without
    one of the lines or contacts its rows asked for."""

    lines: list[int] = field(default_factory=list)  # the file lines of its rows
    values: dict[str, Any] = field(default_factory=dict)  # the opportunity's own fields
    given_on: dict[str, int] = field(default_factory=dict)  # field → the line that gave it
    product_lines: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, its line cells)
    contact_cells: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, contact and role)
    contacts: list[tuple[int, Contact, str]] = field(default_factory=list)  # resolved, once each: (line, it, role)
    customer: Customer | None = None
    stage: Stage | None = None
    owner: Any = None
    errors: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # line → (column, reason)

    @property
    def first(self) -> int:
        return self.lines[0]

    def line_of(self, name: str) -> int:
        """The line that gave the opportunity's field ``name`` (else the first)."""
        return self.given_on.get(name, self.first)

    def refuse(self, line: int, column: str, reason: str) -> None:
        self.errors.setdefault(line, []).append((column, reason))


_NESTED = re.compile(r"^(lines|contacts)\[(\d+)\]\.(\w+)$")  # how the service names a line's or contact's field
_NESTED_FIELD = {"contact": F.CONTACT, "role": F.CONTACT_ROLE}


class OpportunityImporter(Importer):
    """Opportunities, created by ``pipeline.services.opportunity_create`` — the same rules as in the
    pages and the API: the customer among those the importer sees, the product lines and contacts
    written first, then the stage's gate and the gates of the stages before it (reported on the stage
    column, in the gate's words).

    Consecutive rows with the same customer cells and opportunity name (the same text) are one
    opportunity (``_Group``); the chunks never split them (``group_key``). Each opportunity has its
    own savepoint, so a refused one never takes the good ones with it; a dry run rolls every one back
    after the checks. All rows of a refused opportunity are reported: the row at fault with its
    column and reason, the others as part of it — so the error report lists every row not imported.
    ``created`` counts opportunities. Rows are never matched with existing opportunities."""

    FIELDS = ("amount", "expected_close", "source", "campaign", "competitors", "next_step", "next_step_date")
    ROW_FIELDS = frozenset((*F.LINE_FIELDS, *F.CONTACT_FIELDS))  # the rest belong to the opportunity

    process: Any
    stages: dict[str, Stage]

    def begin_chunk(self) -> None:
        if not hasattr(self, "process"):
            self.process = pipeline_services.default_process(self.business_unit)
            self.stages = {s.name: s for s in pipeline_services.stages_of(self.process)} if self.process else {}

    def group_key(self, row: Row) -> tuple[str, ...]:
        return tuple(
            row.values.get(self.header_of.get(name, ""), "").strip()
            for name in (F.CUSTOMER_CREDIT_CODE, F.CUSTOMER, "name")
        )

    def run_chunk(self, rows: list[Row]) -> None:
        self.begin_chunk()
        self.result.processed += len(rows)
        first_error = len(self.result.errors)
        groups: list[_Group] = []
        last_key: tuple[str, ...] | None = None
        for row in rows:
            key = self.group_key(row)
            if key != last_key:
                groups.append(_Group())
                last_key = key
            values, errors = self.read(row)
            self._add(groups[-1], row.line, values, errors)
        self._resolve(groups)
        for group in groups:
            if not group.errors:
                self._save(group)
            if group.errors:
                self._report(group)
            else:
                self.result.created += 1
        self.result.errors[first_error:] = sorted(self.result.errors[first_error:], key=lambda e: e.line)

    # -- a row into its group ---------------------------------------------------------------------------
    def _add(self, group: _Group, line: int, values: dict[str, Any], errors: list[tuple[str, str]]) -> None:
        """The row's cells: the opportunity's fields (a value differing from an earlier row's is an
        error), its product line (product and quantity required) and its contact."""
        group.lines.append(line)
        for column, reason in errors:
            group.refuse(line, column, reason)
        for name, value in values.items():
            if name in self.ROW_FIELDS:
                continue
            if name not in group.values:
                group.values[name] = value
                group.given_on[name] = line
            elif group.values[name] != value:
                reason = _("Differs from line %(line)d of the same opportunity.") % {"line": group.given_on[name]}
                group.refuse(line, self.column(name), reason)
        refused = {column for column, _reason in errors}
        cells = {name: values[name] for name in F.LINE_FIELDS if name in values}
        if cells:
            for name in (F.PRODUCT, "quantity"):
                if name not in cells and self.column(name) not in refused:
                    group.refuse(line, self.column(name), _("This field is required."))
            group.product_lines.append((line, cells))
        cells = {name: values[name] for name in F.CONTACT_FIELDS if name in values}
        if cells:
            if F.CONTACT not in cells and self.column(F.CONTACT) not in refused:
                group.refuse(line, self.column(F.CONTACT), _("This field is required."))
            group.contact_cells.append((line, cells))

    # -- what needs the database: one query each for the chunk ----------------------------------------------
    def _resolve(self, groups: list[_Group]) -> None:
        if self.process is None:
            reason = _("%(bu)s has no sales process yet: ask its administrator.") % {"bu": self.business_unit}
            for group in groups:
                group.refuse(group.first, self.column(F.STAGE), reason)
            return
        self._customers(groups)
        self._stages_and_owners(groups)
        self._products(groups)
        self._contacts(groups)
        self._amounts(groups)

    def _customers(self, groups: list[_Group]) -> None:
        """Each opportunity's customer: by credit code when given, else by exact name, else by the
        same company-name key."""
        codes = {g.values[F.CUSTOMER_CREDIT_CODE] for g in groups if g.values.get(F.CUSTOMER_CREDIT_CODE)}
        names = {g.values[F.CUSTOMER] for g in groups if g.values.get(F.CUSTOMER)}
        keys = {normalise_name(n) for n in names} - {""}
        by_code: dict[str, int] = {}
        by_name: dict[str, list[int]] = defaultdict(list)
        by_key: dict[str, list[int]] = defaultdict(list)
        customers: dict[int, Customer] = {}
        if codes or names:
            found = (
                Customer.objects.visible_to(self.actor)
                .alive()
                .filter(Q(credit_code__in=codes) | Q(name__in=names) | Q(name_key__in=keys))
                .order_by("pk")
            )
            for customer in found:
                customers[customer.pk] = customer
                if customer.credit_code:
                    by_code[customer.credit_code] = customer.pk
                by_name[customer.name].append(customer.pk)
                by_key[customer.name_key].append(customer.pk)
        for group in groups:
            given = group.values.get(F.CUSTOMER_CREDIT_CODE)
            if given:
                column = self.column(F.CUSTOMER_CREDIT_CODE)
                candidates = [by_code[given]] if given in by_code else []
            elif group.values.get(F.CUSTOMER):
                column = self.column(F.CUSTOMER)
                name = group.values[F.CUSTOMER]
                candidates = by_name.get(name) or by_key.get(normalise_name(name), [])
            else:
                continue  # its cell is in error already
            if not candidates:
                group.refuse(group.first, column, _("No such customer."))
            elif len(candidates) > 1:
                group.refuse(group.first, column, _("Several customers have this name: give the credit code."))
            else:
                group.customer = customers[candidates[0]]

    def _stages_and_owners(self, groups: list[_Group]) -> None:
        owner_ids = {g.values[F.OWNER] for g in groups if g.values.get(F.OWNER)}
        owners = get_user_model()._default_manager.in_bulk(owner_ids) if owner_ids else {}
        for group in groups:
            stage_name = group.values.get(F.STAGE)
            if stage_name:
                group.stage = self.stages.get(stage_name)
                if group.stage is None:
                    reason = _("No such stage in the sales process “%(process)s”.") % {"process": self.process}
                    group.refuse(group.line_of(F.STAGE), self.column(F.STAGE), reason)
            if group.values.get(F.OWNER):
                group.owner = owners[group.values[F.OWNER]]

    def _products(self, groups: list[_Group]) -> None:
        """Each line's product among those the importer sees: by code, else by exact name; it must
        be on sale (as in the page's list of products)."""
        wanted = {cells[F.PRODUCT] for g in groups for _line, cells in g.product_lines if F.PRODUCT in cells}
        by_code: dict[str, Product] = {}
        by_name: dict[str, list[Product]] = defaultdict(list)
        if wanted:
            found = (
                Product.objects.visible_to(self.actor).filter(Q(code__in=wanted) | Q(name__in=wanted)).order_by("pk")
            )
            for product in found:
                by_code[product.code] = product
                by_name[product.name].append(product)
        column = self.column(F.PRODUCT)
        for group in groups:
            for line, cells in group.product_lines:
                given = cells.get(F.PRODUCT)
                if given is None:
                    continue
                candidates = [by_code[given]] if given in by_code else by_name.get(given, [])
                if not candidates:
                    group.refuse(line, column, _("No such product."))
                elif len(candidates) > 1:
                    group.refuse(line, column, _("Several products have this name: give the product code."))
                elif candidates[0].status != ProductStatus.ACTIVE:
                    group.refuse(line, column, _("“%(product)s” is not on sale.") % {"product": candidates[0]})
                else:
                    cells[F.PRODUCT] = candidates[0]

    def _contacts(self, groups: list[_Group]) -> None:
        """Each contact among the opportunity's customer's: by mobile when the cell is one, else by
        exact name. A contact named on several rows is one contact of the opportunity (their roles
        may not differ); no role: the contact's role in the decision on the customer's card, as the
        page proposes."""
        wanted = [(g, g.customer) for g in groups if g.customer is not None and g.contact_cells]
        texts = {cells[F.CONTACT] for g, _c in wanted for _line, cells in g.contact_cells if F.CONTACT in cells}
        if not texts:
            return
        mobiles = {normalize_mobile(t) for t in texts if is_valid_mobile(t)}
        by_mobile: dict[tuple[int, str], Contact] = {}
        by_name: dict[tuple[int, str], list[Contact]] = defaultdict(list)
        found = (
            Contact.objects.filter(merged_into__isnull=True, customer_id__in={c.pk for _g, c in wanted})
            .filter(Q(name__in=texts) | Q(mobile_key__in=mobiles))
            .order_by("pk")
        )
        for contact in found:
            by_mobile.setdefault((contact.customer_id, contact.mobile_key), contact)
            by_name[(contact.customer_id, contact.name)].append(contact)
        column = self.column(F.CONTACT)
        for group, customer in wanted:
            customer_id = customer.pk
            chosen: dict[int, tuple[int, Contact, str]] = {}  # contact → (line, it, the role given)
            for line, cells in group.contact_cells:
                given = cells.get(F.CONTACT)
                if given is None:
                    continue
                if is_valid_mobile(given):
                    match = by_mobile.get((customer_id, normalize_mobile(given)))
                    candidates = [match] if match is not None else []
                else:
                    candidates = by_name.get((customer_id, given), [])
                if not candidates:
                    group.refuse(line, column, _("No such contact of the customer."))
                    continue
                if len(candidates) > 1:
                    group.refuse(line, column, _("Several contacts of the customer have this name: give the mobile."))
                    continue
                contact, role = candidates[0], cells.get(F.CONTACT_ROLE, "")
                earlier = chosen.get(contact.pk)
                if earlier is None:
                    chosen[contact.pk] = (line, contact, role)
                elif role and earlier[2] and role != earlier[2]:
                    reason = _("Differs from line %(line)d of the same opportunity.") % {"line": earlier[0]}
                    group.refuse(line, self.column(F.CONTACT_ROLE), reason)
                elif role:
                    chosen[contact.pk] = (earlier[0], contact, role)
            group.contacts = [(line, c, role or c.decision_role) for line, c, role in chosen.values()]

    def _amounts(self, groups: list[_Group]) -> None:
        """With product lines the amount is their sum (as on the page): an amount given that differs
        is an error rather than silently replaced (checked once the lines are good)."""
        for group in groups:
            if group.errors or not group.product_lines or "amount" not in group.values:
                continue
            total = sum(
                (
                    line_amount(
                        cells["quantity"],
                        cells["unit_price"] if "unit_price" in cells else cells[F.PRODUCT].list_price,
                        cells.get("discount", Decimal("0")),
                    )
                    for _line, cells in group.product_lines
                ),
                Decimal("0.00"),
            )
            if group.values["amount"] != total:
                reason = _("With product lines the amount is their sum, %(total)s: leave it empty.") % {
                    "total": f"¥{total:,}"
                }
                group.refuse(group.line_of("amount"), self.column("amount"), reason)

    # -- the opportunity ------------------------------------------------------------------------------------
    def _save(self, group: _Group) -> None:
        """The opportunity with its lines and contacts through the service, in a savepoint; what the
        service refuses goes on the row and column it concerns."""
        values = group.values
        fields = {name: values[name] for name in self.FIELDS if name in values}
        fields.setdefault("source", Source.IMPORT)
        lines = [
            {
                "product": cells[F.PRODUCT],
                "quantity": cells["quantity"],
                "unit_price": cells.get("unit_price"),
                "discount": cells.get("discount"),
                "delivery_month": cells.get("delivery_month"),
            }
            for _line, cells in group.product_lines
        ]
        contacts = [{"contact": contact, "role": role} for _line, contact, role in group.contacts]
        try:
            with transaction.atomic():
                pipeline_services.opportunity_create(
                    actor=self.actor,
                    customer=group.customer,
                    name=values["name"],
                    business_unit=self.business_unit,
                    process=self.process,
                    stage=group.stage,
                    owner=group.owner,
                    lines=lines,
                    contacts=contacts,
                    **fields,
                )
                if self.dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, messages in exc.message_dict.items():
                    group.refuse(*self._place(group, key), " ".join(messages))
            else:
                group.refuse(group.first, self.column("name"), " ".join(exc.messages))
        except Conflict as exc:  # a stage gate
            group.refuse(group.line_of(F.STAGE), self.column(F.STAGE), str(exc))
        except PermissionDenied as exc:
            group.refuse(group.line_of(F.OWNER), self.column(F.OWNER), str(exc))

    def _place(self, group: _Group, key: str) -> tuple[int, str]:
        """The line and column of a field the service names (``lines[2].quantity``: the second product
        line's row)."""
        nested = _NESTED.match(key)
        if nested is not None:
            kind, number, name = nested.groups()
            rows = [line for line, _cells in group.product_lines] if kind == "lines" else [c[0] for c in group.contacts]
            name = _NESTED_FIELD.get(name, name)
            return rows[int(number) - 1], self.column(name if self.spec.get(name) is not None else "name")
        if key == "customer":
            customer = F.CUSTOMER_CREDIT_CODE if group.values.get(F.CUSTOMER_CREDIT_CODE) else F.CUSTOMER
            return group.first, self.column(customer)
        if key in ("stage", "process", "business_unit"):
            return group.line_of(F.STAGE), self.column(F.STAGE)
        if key == "owner":
            return group.line_of(F.OWNER), self.column(F.OWNER)
        if self.spec.get(key) is not None:
            return group.line_of(key), self.column(key)
        return group.first, self.column("name")

    def _report(self, group: _Group) -> None:
        """Every row of a refused opportunity is a row in error: its own reasons, else that it was
        part of the opportunity."""
        part_of = _("Not imported: its opportunity (lines %(first)d–%(last)d) has errors.") % {
            "first": group.first,
            "last": group.lines[-1],
        }
        for line in group.lines:
            self.fail(line, group.errors.get(line) or [(self.column("name"), part_of)])


IMPORTERS: dict[str, type[Importer]] = {
    ImportTarget.CUSTOMERS: CustomerImporter,
    ImportTarget.LEADS: LeadImporter,
    ImportTarget.CONTACTS: ContactImporter,
    F.PRODUCTS: ProductImporter,
    F.OPPORTUNITIES: OpportunityImporter,
    F.PRICE_BOOK_ENTRIES: PriceBookEntryImporter,
}


def _numbered(rows: Iterable[Row | Mapping[str, Any]]) -> Iterator[Row]:
    for index, row in enumerate(rows, start=2):
        if isinstance(row, Row):
            yield row
        else:
            values = {str(k): F.cell_text(v) for k, v in row.items()}
            if any(values.values()):
                yield Row(index, values)


def _chunks(rows: Iterator[Row], size: int, group_key: Callable[[Row], Hashable | None]) -> Iterator[list[Row]]:
    """``size`` rows a chunk, or more to finish a group of rows that belong together: the job commits
    its progress after each chunk and resumes after it, so a group split in two would become two
    records."""
    chunk: list[Row] = []
    last: Hashable | None = None
    for row in rows:
        key = group_key(row)
        if len(chunk) >= size and (key is None or key != last):
            yield chunk
            chunk = []
        chunk.append(row)
        last = key
    if chunk:
        yield chunk


def import_rows(
    *,
    actor: Any,
    target: str,
    business_unit: Any,
    rows: Iterable[Row | Mapping[str, Any]],
    mapping: dict[str, str],
    duplicate_mode: str = DuplicateMode.SKIP,
    dry_run: bool = False,
    chunk_size: int = CHUNK_SIZE,
    result: ImportResult | None = None,
    on_chunk: Callable[[ImportResult], None] | None = None,
    audit_on: models.Model | None = None,
    price_book: Any = None,
) -> ImportResult:
    """Import ``rows`` into ``target`` of ``business_unit`` as ``actor``.

    ``rows``: ``readers.Row`` objects (line and header → text), or plain mappings (header → value;
    line numbers count from 2, as under a header line). ``mapping``: header → field name
    (``fields.py``); call ``policies.check_import`` and ``fields.check_mapping`` first. Each chunk
    is one transaction; ``on_chunk(result)`` runs inside it after the chunk's writes (the job saves
    its progress there, so the progress and the rows commit together). Unless ``dry_run``, one
    audit entry on ``audit_on`` (the job; default: the business unit) sums the import up.
    ``price_book``: the book price book prices go into (``policies.check_import`` checks it).
    """
    if duplicate_mode not in DuplicateMode.values:
        raise ValidationError({"duplicate_mode": _("Choose skip, update or create.")})
    spec = F.target_spec(target)
    result = result if result is not None else ImportResult()
    importer = IMPORTERS[spec.code](
        actor=actor,
        spec=spec,
        business_unit=business_unit,
        mapping=mapping,
        duplicate_mode=duplicate_mode,
        dry_run=dry_run,
        result=result,
        price_book=price_book,
    )
    for chunk in _chunks(_numbered(rows), chunk_size, importer.group_key):
        with transaction.atomic():
            importer.run_chunk(chunk)
            if on_chunk is not None:
                on_chunk(result)
    if not dry_run:
        with transaction.atomic():
            audit.record(
                actor=actor,
                obj=audit_on if audit_on is not None else business_unit,
                kind=AuditEntry.Kind.ACTION,
                verb="import",
                changes={
                    "target": [None, spec.code],
                    "created": [None, result.created],
                    "updated": [None, result.updated],
                    "skipped": [None, result.skipped],
                    "error_rows": [None, result.error_rows],
                },
            )
    return result
