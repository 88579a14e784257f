"""Public web-to-lead capture (a token per form): rate limited per address and hour, with a honeypot.

A submission becomes a lead of the form's business unit, source and campaign, in the form's pool,
then placed by the assignment rules. A filled honeypot field is a robot: the answer is the same
thank-you, and nothing is stored. Over the form's limit per address and hour: 429, nothing stored.
The public duplicate check is skipped on purpose (a visitor must not learn what we hold); the
duplicate scan and the review queue catch these leads later.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.utils import timezone

from . import services
from .models import Lead, WebForm

HONEYPOT = "website"
FIELDS = (
    "company",
    "contact_name",
    "contact_title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "province",
    "city",
    "industry",
    "product_interest",
    "notes",
)


def active_form(token: str) -> WebForm | None:
    return WebForm.objects.select_related("business_unit", "pool").filter(token=token, is_active=True).first()


def over_limit(form: WebForm, ip: str) -> bool:
    """Count this submission; True when the address went over the form's limit this hour."""
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"leads:webform:{form.pk}:{ip or '-'}:{hour}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > form.per_hour_per_ip


def is_robot(data: Any) -> bool:
    return bool(str(data.get(HONEYPOT) or "").strip())


def submit(*, form: WebForm, data: Any) -> Lead | None:
    """The lead the submission created, or None for a robot (honeypot filled)."""
    if is_robot(data):
        return None
    fields: dict[str, Any] = {name: str(data.get(name) or "").strip() for name in FIELDS if data.get(name)}
    fields["source"] = form.source
    fields["campaign"] = form.campaign
    return services.lead_create(
        actor=None,
        business_unit=form.business_unit,
        fields=fields,
        pool=form.pool,
        web_form=form,
        check_duplicates=False,
    )
