"""The document types the approval engine serves, registered by the apps that own them.

The engine (this app) never imports quotes, contracts, orders or receivables: each of them
registers a ``DocumentType`` from its ``registrations.py`` with what the engine needs to know —
the fields a flow's conditions may test, how to name, price and link a document, and what happens
to the document when it enters approval, when it is approved, and when it goes back to its
submitter (rejected or recalled). The callbacks run inside the engine's transaction, with the
document row locked, so the document and its approval never disagree.

A document in approval is locked: its owning app refuses every change (pages, API, import) while
``is_locked(document)`` — which the app answers from its own status field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise


@dataclass(frozen=True)
class ConditionField:
    """A field a flow's (or a step's) conditions may test.

    ``kind``: "number" (Decimal; operators = != > >= < <=), "text" (= != contains), "choice"
    (= != in; ``choices`` lists the values and labels) or "reference" (= != in; the value is an id,
    ``choices`` is a callable returning (id, label) pairs for the editor).
    """

    name: str
    label: str | Promise
    kind: str
    value: Callable[[Any], Any]  # document → the value to test
    choices: Any = None


@dataclass(frozen=True)
class DocumentType:
    code: str  # "quote", "contract", "order", "invoice", "payment_plan" …
    label: str | Promise
    model: str  # "quotes.Quote"
    fields: tuple[ConditionField, ...]
    # the document as numbers and names, no words of any language (e.g. "Q202611-0001 v2 · 华东电力"): it
    # is stored once, and every reader sees it behind ``label`` in their own language (``display_title``)
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    business_unit_id: Callable[[Any], int | None]
    owner_id: Callable[[Any], int | None]  # whose manager chain "the submitter's manager" walks when not the submitter
    amount: Callable[[Any], Decimal | None] = lambda doc: None
    # what an approver needs to decide without opening the document (shown on the request page, also
    # on a phone): (label, value) pairs, e.g. the customer, the largest discount, the payment terms
    summary: Callable[[Any], list[tuple[str, str]]] = lambda doc: []
    # the document enters approval (lock it: status "in approval")
    on_submitted: Callable[[Any, Any], None] = lambda doc, request: None
    # every required decision was taken: the document is approved
    on_approved: Callable[[Any, Any], None] = lambda doc, request: None
    # rejected, or recalled by the submitter: back to the submitter, editable again
    on_returned: Callable[[Any, Any], None] = lambda doc, request: None
    extra: dict[str, Any] = field(default_factory=dict)

    def get_model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model)


_registry: dict[str, DocumentType] = {}


def register(document_type: DocumentType) -> DocumentType:
    existing = _registry.get(document_type.code)
    if existing is not None and existing.model != document_type.model:
        raise ValueError(f"the approval document type {document_type.code!r} is registered twice")
    _registry[document_type.code] = document_type
    from .visibility import hook  # approvers see what they are asked to decide on

    hook(document_type.get_model())
    return document_type


def get(code: str) -> DocumentType:
    return _registry[code]


def display_title(code: str, title: str) -> str:
    """A request's title as its reader sees it: the document type's label in the active language, then
    the stored title ("报价单（折扣） · Q202611-0001 v2 · 华东电力")."""
    document_type = _registry.get(code)
    return f"{document_type.label} · {title}" if document_type is not None else title


def types() -> list[DocumentType]:
    return list(_registry.values())


def of(document: models.Model) -> DocumentType:
    label = document._meta.label
    for document_type in _registry.values():
        if document_type.model == label:
            return document_type
    raise LookupError(f"{label} is not a document the approval engine serves")
