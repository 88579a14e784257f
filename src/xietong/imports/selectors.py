"""Reads of imports and exports: a job is seen only by the person who started it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from xietong.core.errors import NotFound
from xietong.core.params import as_int
from xietong.org.models import BusinessUnit
from xietong.quotes import selectors as quotes_selectors
from xietong.quotes.models import PriceBook

from . import policies
from .models import ExportJob, ImportJob, SavedMapping


def import_job_list(*, user: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.of(user).select_related("business_unit", "price_book")


def import_job_get(*, user: Any, pk: Any) -> ImportJob:
    job = import_job_list(user=user).filter(pk=as_int(pk, 0)).first()
    if job is None:
        raise NotFound()
    return job


def export_job_get(*, user: Any, pk: Any) -> ExportJob:
    job = ExportJob.objects.of(user).filter(pk=as_int(pk, 0)).first()
    if job is None:
        raise NotFound()
    return job  # type: ignore[return-value]


def saved_mappings(*, user: Any, target: str) -> QuerySet[SavedMapping]:
    return SavedMapping.objects.filter(owner=user, target=target).order_by("name")


def business_unit_choices(*, user: Any, target: str) -> list[BusinessUnit]:
    """The business units ``user`` may import ``target`` into."""
    module = policies.module_of(target)
    units = BusinessUnit.objects.filter(is_active=True).order_by("code")
    return [bu for bu in units if policies.may_create_in(user, module, bu.pk)]


def price_book_choices(*, user: Any) -> QuerySet[PriceBook]:
    """The price books ``user`` may import prices into: those they may change by hand."""
    return quotes_selectors.price_books_for_change(user=user)
