"""The demo contracts (org/demo.py runs this step after the quotes' step).

Contracts are made by the owners of the accepted demo quotes (``contract_create_from_quote``) and of
the won demo opportunities (``contract_create`` with the opportunity's product lines), BU by BU,
each given the next fate of ``FATES`` so that every status shows: a draft; in HQ review (waiting for
法务审核, or for 财务审核 after it); approved, not yet signed; signed (starting next month); active
(some ending within 30 days, so the renewal reminders fire); expired (its term in the past);
terminated (with the reason); and one amended (its first version kept as a ``ContractVersion``).

Everything goes through the services and the approval engine as the rep, the BU head (法务审核) and
finance (财务审核) would; signed contracts carry a small generated PDF as their scan. The daily job
(``contracts_daily``) then runs once, as the scheduler would: the contract past its end expires and
the owners of contracts ending soon are reminded. Last, creation times are moved back to the
signing dates (plain updates).

Deterministic (the fates follow the sources' order; one seeded stream) and idempotent: nothing is
done for a BU that has a contract already.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xietong.approvals import demo as approvals_demo
from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, User

from . import services
from .models import Contract

SEED = 20261102
BUS = approvals_demo.BUS
CENT = Decimal("0.01")
PAYMENT_TERMS = "合同签订后 7 日内预付 30%；到货验收后 30 日内付 60%；质保金 10% 于质保期满后支付。"
PAYMENT_TERMS_4 = "预付 30%；到货付 40%；验收合格付 20%；质保金 10% 于质保期满后支付。"
CONTRACT_TERMS = (
    "一、质量标准：符合国家标准及双方确认的技术协议。\n"
    "二、交货地点：甲方指定地点，乙方负责运输与保险。\n"
    "三、验收：到货后 15 日内完成验收，逾期未提出异议视为验收合格。\n"
    "四、争议解决：协商不成的，提交乙方所在地人民法院诉讼解决。"
)
SIGNATORIES = ("张总", "王经理", "李主任", "陈总监", "刘厂长")
# fate, in the order the sources take them: (fate, days since signing or the term's start)
FATES: tuple[tuple[str, int], ...] = (
    ("active", 250),
    ("expired", 420),
    ("review_legal", 0),
    ("ending", 340),
    ("terminated", 200),
    ("signed", 6),
    ("amended", 180),
    ("draft", 0),
    ("approved", 0),
    ("active", 130),
    ("review_finance", 0),
    ("active", 95),
    ("ending", 350),
    ("active", 210),
    ("signed", 4),
    ("active", 160),
)
TERMINATIONS = ("客户工厂搬迁，项目取消，双方协商一致解除合同。", "客户资金链紧张，经协商提前终止合同。")
AMENDMENT = "客户追加安装调试服务并延长合同期限。"
SERVICE_CODE = "SV-INST"


def pdf_scan(text: str) -> bytes:
    """A small valid one-page PDF: the demo's stand-in for a signed scan."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _term(fate: str, age: int, today: date) -> tuple[date, date, date | None]:
    """(start, end, signing date) of a fate."""
    if fate == "signed":
        signed = today - timedelta(days=age)
        start = today + timedelta(days=20)
        return start, start + timedelta(days=364), signed
    if fate in ("draft", "approved", "review_legal", "review_finance"):
        start = today + timedelta(days=15)
        return start, start + timedelta(days=364), None
    signed = today - timedelta(days=age)
    if fate == "ending":
        return signed, today + timedelta(days=age - 330), signed  # 10–20 days left
    if fate == "expired":
        return signed, signed + timedelta(days=364), signed
    return signed, signed + timedelta(days=364 + 180), signed


def _won_lines(opp: Any) -> list[dict[str, Any]]:
    out = []
    for line in opp.lines.select_related("product").order_by("position", "pk"):
        gross = line.quantity * line.unit_price
        out.append(
            {
                "product": line.product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_amount": (gross * line.discount / 100).quantize(CENT, ROUND_HALF_UP),
                "tax_rate": line.product.tax_rate,
                "delivery_month": line.delivery_month,
            }
        )
    return out


def _create(source: Any, fate: str, age: int, rng: random.Random) -> Contract:
    from xietong.quotes.models import Quote

    today = timezone.localdate()
    start, end, _signed = _term(fate, age, today)
    four = rng.random() < 0.35
    fields = {
        "start_date": start,
        "end_date": end,
        "payment_terms": PAYMENT_TERMS_4 if four else PAYMENT_TERMS,
        "terms": CONTRACT_TERMS,
        "customer_signatory": rng.choice(SIGNATORIES),
        "renewal_notice_days": 30,
    }
    if isinstance(source, Quote):
        return services.contract_create_from_quote(
            actor=source.owner, quote=source, title=source.title.replace("报价单", "销售合同"), **fields
        )
    return services.contract_create(
        actor=source.owner,
        customer=source.customer,
        title=f"{source.name} 销售合同",
        business_unit=source.business_unit,
        opportunity=source,
        lines=_won_lines(source),
        **fields,
    )


def _drive(contract: Contract, fate: str, age: int, rng: random.Random, created: Counter[str]) -> Contract:
    """Take a draft through review, signing and its life up to its fate."""
    from xietong.catalog.models import Product

    owner = contract.owner
    if fate == "draft":
        return contract
    services.contract_submit(actor=owner, contract=contract)
    if fate == "review_legal":
        return contract
    created["approval decisions"] += approvals_demo.approve(
        contract, steps=1 if fate == "review_finance" else None, comment="合同条款审核通过。"
    )
    if fate in ("review_finance", "approved"):
        return contract
    today = timezone.localdate()
    _start, _end, signed = _term(fate, age, today)
    contract.refresh_from_db()
    scan = SimpleUploadedFile(
        f"{contract.number}.pdf", pdf_scan(f"Contract {contract.number} signed"), content_type="application/pdf"
    )
    contract = services.contract_sign(actor=owner, contract=contract, signed_date=signed, scan=scan)
    created["signed scans"] += 1
    if fate == "terminated":
        contract = services.contract_terminate(actor=owner, contract=contract, reason=rng.choice(TERMINATIONS))
    elif fate == "amended":
        lines = [
            {
                "product": line.product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_amount": line.discount_amount,
                "tax_rate": line.tax_rate,
                "delivery_month": line.delivery_month,
            }
            for line in contract.lines.order_by("position", "pk")
        ]
        service = Product.objects.filter(code=SERVICE_CODE).first()
        if service is not None:  # what the amendment adds: on-site commissioning, 10 man-days
            lines.append(
                {
                    "product": service.pk,
                    "quantity": Decimal("10"),
                    "unit_price": service.list_price,
                    "tax_rate": service.tax_rate,
                }
            )
        contract.refresh_from_db()
        services.contract_amend(
            actor=owner,
            contract=contract,
            reason=AMENDMENT,
            end_date=contract.end_date + timedelta(days=180) if contract.end_date else None,
            lines=lines,
        )
        created["contract amendments"] += 1
        created["approval decisions"] += approvals_demo.approve(contract, comment="变更内容审核通过。")
    return contract


def _sources(bu: BusinessUnit) -> list[Any]:
    from xietong.pipeline.choices import OpportunityStatus
    from xietong.pipeline.models import Opportunity
    from xietong.quotes.choices import QuoteStatus
    from xietong.quotes.models import Quote

    accepted = list(
        Quote.objects.filter(business_unit=bu, status=QuoteStatus.ACCEPTED)
        .select_related("owner", "customer")
        .order_by("pk")
    )
    won = list(
        Opportunity.objects.filter(business_unit=bu, status=OpportunityStatus.WON, lines__isnull=False)
        .select_related("owner", "customer", "business_unit")
        .distinct()
        .order_by("pk")
    )
    return [*accepted, *won]


def _backdate(contract: Contract) -> None:
    contract.refresh_from_db()
    day = contract.signed_date or timezone.localdate() - timedelta(days=3)
    at: datetime = timezone.make_aware(datetime.combine(day - timedelta(days=5), time(10)))
    Contract.objects.filter(pk=contract.pk).update(created_at=at)


def load(created: Counter[str]) -> None:
    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in=BUS)}
    if not units:
        return
    rng = random.Random(SEED)  # noqa: S311  (reproducible data, not secrets)
    turn = 0
    made: list[Contract] = []
    for code in BUS:
        bu = units.get(code)
        if bu is None or Contract.objects.filter(business_unit=bu).exists():
            continue
        for source in _sources(bu):
            owner: User = source.owner
            if owner is None or not owner.is_active:
                continue
            fate, age = FATES[turn % len(FATES)]
            turn += 1
            contract = _create(source, fate, age, rng)
            created["contracts"] += 1
            made.append(_drive(contract, fate, age, rng, created))
    if not made:
        return
    done = services.contracts_daily(today=timezone.localdate())
    created["contracts expired"] += done["expired"]
    created["renewal reminders"] += done["reminded"]
    for contract in made:
        _backdate(contract)


register_demo_step(load)
