"""Factories of the catalogue and the pipeline: products, a BU's standard process, opportunities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from tests.support.crm import CustomerFactory
from xietong.catalog.models import Product, ProductCategory
from xietong.pipeline.choices import MemberAccess, TeamRole
from xietong.pipeline.configuration import STANDARD_STAGES
from xietong.pipeline.models import DealTeamMember, Opportunity, SalesProcess, Stage, StageMove


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory

    name = factory.Sequence(lambda n: f"类别{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P-{n:05d}")
    name = factory.Sequence(lambda n: f"数控机床{n}型")
    unit = "台"
    list_price = Decimal("100000.00")
    cost = Decimal("60000.00")
    product_line = "数控机床"
    business_unit = None


def standard_process(business_unit: Any, name: str = "标准销售流程") -> SalesProcess:
    """The seed's process (``configuration.STANDARD_STAGES``), made without an actor; the BU's
    process of that name when it has one already (several tests' foreign records share BU2's)."""
    found = SalesProcess.objects.filter(business_unit=business_unit, name=name).first()
    if found is not None:
        return found
    default = not SalesProcess.objects.filter(business_unit=business_unit, is_default=True).exists()
    process = SalesProcess.objects.create(business_unit=business_unit, name=name, is_default=default)
    for position, (stage_name, kind, probability, category, days, requirements) in enumerate(STANDARD_STAGES, 1):
        Stage.objects.create(
            process=process,
            name=stage_name,
            position=position,
            kind=kind,
            probability=probability,
            forecast_category=category,
            expected_days=days,
            requirements=list(requirements),
        )
    return process


def stage(process: SalesProcess, name: str) -> Stage:
    return process.stages.get(name=name)


def opportunity(
    owner: Any, *, process: SalesProcess | None = None, stage_name: str = "初步接洽", **kwargs: Any
) -> Opportunity:
    """An open opportunity owned by ``owner`` (made directly, gates not applied), with its owner on
    the deal team and its first stage move."""
    bu = kwargs.pop("business_unit", None) or owner.business_unit
    process = process or SalesProcess.objects.filter(business_unit=bu, is_default=True).first() or standard_process(bu)
    at = process.stages.get(name=stage_name)
    customer = kwargs.pop("customer", None) or CustomerFactory()
    now = timezone.now()
    opp = Opportunity.objects.create(
        name=kwargs.pop("name", f"{customer.name}项目"),
        customer=customer,
        business_unit=bu,
        process=process,
        stage=at,
        owner=owner,
        probability=kwargs.pop("probability", at.probability),
        forecast_category=kwargs.pop("forecast_category", at.forecast_category),
        stage_entered_at=kwargs.pop("stage_entered_at", now),
        last_activity_at=kwargs.pop("last_activity_at", now),
        amount=kwargs.pop("amount", Decimal("100000.00")),
        **kwargs,
    )
    DealTeamMember.objects.create(
        opportunity=opp, user=owner, role=TeamRole.SALES, access=MemberAccess.EDIT, split=Decimal("100")
    )
    StageMove.objects.create(opportunity=opp, to_stage=at, moved_at=now, amount=opp.amount, actor=owner)
    return opp
