"""What a domain app's services do for the collaboration surface: audit their writes. Nothing else."""

from typing import Any

from django.db import transaction

from xietong.core import audit

from .models import Deal


@transaction.atomic
def deal_create(*, actor: Any, **fields: Any) -> Deal:
    deal = Deal.objects.create(**fields)
    audit.record_create(actor=actor, obj=deal)
    return deal


@transaction.atomic
def deal_update(*, actor: Any, deal: Deal, **fields: Any) -> Deal:
    before = audit.snapshot(deal)
    for name, value in fields.items():
        setattr(deal, name, value)
    deal.save()
    audit.record_update(actor=actor, obj=deal, before=before)
    return deal
