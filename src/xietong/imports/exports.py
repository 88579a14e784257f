"""What an export writes: the columns of each list, and the list's filters.

The headers are the import fields' labels, so an exported file imports again as it is. Customers
export one row per business-unit relationship the exporter may export (the common card repeated),
leads and contacts one row per record. Every cell goes through ``core/exports.py`` (formula-safe).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from xietong.core.exports import Column
from xietong.customers.models import Contact, Relationship, tag_filter
from xietong.leads.models import Lead

from .models import ImportTarget


def _tags(obj: Any) -> str:
    return "，".join(obj.tag_list)


CUSTOMER_COLUMNS = [
    Column(pgettext_lazy("customer", "Name"), lambda r: r.customer.name, width=30),
    Column(gettext_lazy("short name"), lambda r: r.customer.short_name),
    Column(gettext_lazy("unified social credit code"), lambda r: r.customer.credit_code, width=22),
    Column(gettext_lazy("kind"), lambda r: r.customer.get_kind_display()),
    Column(gettext_lazy("industry"), lambda r: r.customer.industry),
    Column(gettext_lazy("company size"), lambda r: r.customer.get_size_display()),
    Column(gettext_lazy("source"), lambda r: r.customer.get_source_display()),
    Column(gettext_lazy("province"), lambda r: r.customer.province),
    Column(gettext_lazy("city"), lambda r: r.customer.city),
    Column(gettext_lazy("district"), lambda r: r.customer.district),
    Column(gettext_lazy("address"), lambda r: r.customer.address, width=30),
    Column(gettext_lazy("website"), lambda r: r.customer.website, width=24),
    Column(gettext_lazy("tags"), lambda r: _tags(r.customer)),
    Column(gettext_lazy("business unit"), lambda r: r.business_unit.name, width=18),
    Column(gettext_lazy("owner"), lambda r: r.owner.username if r.owner_id else ""),
    Column(gettext_lazy("public pool"), lambda r: r.pool.name if r.pool_id else ""),
    Column(gettext_lazy("status"), lambda r: r.get_status_display()),
    Column(gettext_lazy("level"), lambda r: r.level),
    Column(gettext_lazy("last follow-up"), lambda r: r.last_follow_up_at, width=18),
    Column(gettext_lazy("created"), lambda r: r.customer.created_at, width=18),
]

LEAD_COLUMNS = [
    Column(gettext_lazy("company"), lambda r: r.company, width=30),
    Column(gettext_lazy("contact name"), lambda r: r.contact_name),
    Column(gettext_lazy("contact title"), lambda r: r.contact_title),
    Column(gettext_lazy("mobile"), lambda r: r.mobile),
    Column(gettext_lazy("phone"), lambda r: r.phone),
    Column(gettext_lazy("email"), lambda r: r.email, width=24),
    Column(gettext_lazy("WeChat"), lambda r: r.wechat),
    Column(gettext_lazy("province"), lambda r: r.province),
    Column(gettext_lazy("city"), lambda r: r.city),
    Column(gettext_lazy("district"), lambda r: r.district),
    Column(gettext_lazy("address"), lambda r: r.address, width=30),
    Column(gettext_lazy("industry"), lambda r: r.industry),
    Column(gettext_lazy("company size"), lambda r: r.get_company_size_display()),
    Column(gettext_lazy("source"), lambda r: r.get_source_display()),
    Column(gettext_lazy("campaign"), lambda r: r.campaign),
    Column(gettext_lazy("product interest"), lambda r: r.product_interest),
    Column(gettext_lazy("estimated budget"), lambda r: r.budget),
    Column(gettext_lazy("tags"), _tags),
    Column(gettext_lazy("business unit"), lambda r: r.business_unit.name, width=18),
    Column(gettext_lazy("owner"), lambda r: r.owner.username if r.owner_id else ""),
    Column(gettext_lazy("lead pool"), lambda r: r.pool.name if r.pool_id else ""),
    Column(gettext_lazy("status"), lambda r: r.get_status_display()),
    Column(gettext_lazy("created"), lambda r: r.created_at, width=18),
]

CONTACT_COLUMNS = [
    Column(gettext_lazy("customer"), lambda r: r.customer.name, width=30),
    Column(gettext_lazy("customer's credit code"), lambda r: r.customer.credit_code, width=22),
    Column(pgettext_lazy("person", "Name"), lambda r: r.name),
    Column(gettext_lazy("job title"), lambda r: r.title),
    Column(gettext_lazy("department"), lambda r: r.department),
    Column(gettext_lazy("role in the decision"), lambda r: r.get_decision_role_display()),
    Column(gettext_lazy("primary contact"), lambda r: r.is_primary),
    Column(gettext_lazy("mobile"), lambda r: r.mobile),
    Column(gettext_lazy("phone"), lambda r: r.phone),
    Column(gettext_lazy("email"), lambda r: r.email, width=24),
    Column(gettext_lazy("WeChat"), lambda r: r.wechat),
    Column(gettext_lazy("created"), lambda r: r.created_at, width=18),
]

COLUMNS: dict[str, list[Column]] = {
    ImportTarget.CUSTOMERS: CUSTOMER_COLUMNS,
    ImportTarget.LEADS: LEAD_COLUMNS,
    ImportTarget.CONTACTS: CONTACT_COLUMNS,
}


# --- filters: name → how it narrows the rows (each list's own) ---------------------------------------

Filter = Callable[[QuerySet[Any], str], QuerySet[Any]]


def _date(field: str, lookup: str) -> Filter:
    def apply(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        return qs.filter(**{f"{field}__date__{lookup}": day})

    return apply


def _int(field: str) -> Filter:
    return lambda qs, value: qs.filter(**{field: int(value)})


def _eq(field: str) -> Filter:
    return lambda qs, value: qs.filter(**{field: value})


CUSTOMER_FILTERS: dict[str, Filter] = {
    "q": lambda qs, v: qs.filter(
        Q(customer__name__icontains=v) | Q(customer__short_name__icontains=v) | Q(customer__credit_code=v.upper())
    ),
    "business_unit": _int("business_unit_id"),
    "owner": _int("owner_id"),
    "pool": _int("pool_id"),
    "status": _eq("status"),
    "level": _eq("level"),
    "province": _eq("customer__province"),
    "city": _eq("customer__city"),
    "industry": _eq("customer__industry"),
    "tag": lambda qs, v: qs.filter(**{f"customer__{k}": t for k, t in tag_filter(v).items()}),
    "created_after": _date("customer__created_at", "gte"),
    "created_before": _date("customer__created_at", "lte"),
}

LEAD_FILTERS: dict[str, Filter] = {
    "q": lambda qs, v: qs.filter(
        Q(company__icontains=v) | Q(contact_name__icontains=v) | Q(mobile__contains=v) | Q(email__icontains=v)
    ),
    "business_unit": _int("business_unit_id"),
    "owner": _int("owner_id"),
    "pool": _int("pool_id"),
    "status": _eq("status"),
    "source": _eq("source"),
    "province": _eq("province"),
    "industry": _eq("industry"),
    "tag": lambda qs, v: qs.filter(**tag_filter(v)),
    "created_after": _date("created_at", "gte"),
    "created_before": _date("created_at", "lte"),
}

CONTACT_FILTERS: dict[str, Filter] = {
    "q": lambda qs, v: qs.filter(Q(name__icontains=v) | Q(mobile__contains=v) | Q(email__icontains=v)),
    "customer": _int("customer_id"),
    "decision_role": _eq("decision_role"),
    "created_after": _date("created_at", "gte"),
    "created_before": _date("created_at", "lte"),
}

MODELS: dict[str, Any] = {
    ImportTarget.CUSTOMERS: Relationship,
    ImportTarget.LEADS: Lead,
    ImportTarget.CONTACTS: Contact,
}

FILTERS: dict[str, dict[str, Filter]] = {
    ImportTarget.CUSTOMERS: CUSTOMER_FILTERS,
    ImportTarget.LEADS: LEAD_FILTERS,
    ImportTarget.CONTACTS: CONTACT_FILTERS,
}


def base_rows(user: Any, target: str) -> QuerySet[Any]:
    """Every row of ``target`` that ``user`` may export, with what the columns read joined in."""
    if target == ImportTarget.CUSTOMERS:
        return (
            Relationship.objects.visible_to(user, "export")
            .filter(customer__merged_into__isnull=True)
            .select_related("customer", "business_unit", "owner", "pool")
            .order_by("-customer__created_at", "-pk")
        )
    if target == ImportTarget.LEADS:
        return (
            Lead.objects.visible_to(user, "export")
            .alive()
            .select_related("business_unit", "owner", "pool")
            .order_by("-created_at", "-pk")
        )
    return (
        Contact.objects.visible_to(user, "export")
        .filter(merged_into__isnull=True)
        .select_related("customer")
        .order_by("customer_id", "-is_primary", "pk")
    )


def check_filters(target: str, filters: dict[str, Any]) -> dict[str, str]:
    """The filters as text, or a ``ValidationError`` naming each unknown or malformed one
    (``filters.<name>``)."""
    known = FILTERS.get(target, {})
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in (filters or {}).items():
        if value in (None, ""):
            continue
        if name not in known:
            errors[f"filters.{name}"] = _("Unknown filter; use one of: %(names)s.") % {"names": ", ".join(known)}
            continue
        try:
            known[name](MODELS[target].objects.none(), str(value))  # checks the value's shape, no query
        except (ValueError, TypeError):
            errors[f"filters.{name}"] = _("Invalid value: %(value)s.") % {"value": value}
            continue
        clean[name] = str(value)
    if errors:
        raise ValidationError(errors)
    return clean


def export_rows(user: Any, target: str, filters: dict[str, str]) -> QuerySet[Any]:
    qs = base_rows(user, target)
    for name, value in filters.items():
        qs = FILTERS[target][name](qs, value)
    return qs
