"""/api/v1/contracts and /api/v1/contract-sequences: list with filters and cursor pages (no N+1),
create by hand and from a quote (Idempotency-Key), get, patch, submit, sign (multipart), terminate,
amend, versions; 409 while in review and for illegal transitions, 422 naming the field, 404 for
what the caller does not see."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import gettext as t

from tests.conftest import login
from tests.support.clock import midday
from tests.support.crm import owned
from tests.support.factories import pdf_bytes
from tests.support.money import contract, order, quote
from tests.support.pipeline import ProductFactory
from tests.support.queries import assert_queries_constant
from xietong.contracts.choices import ContractStatus as S
from xietong.contracts.models import Contract, ContractSequence, ContractVersion
from xietong.quotes.choices import QuoteStatus

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _on_one_day():
    """The whole module reads ``TODAY``: a run across midnight must not move it."""
    with midday(TODAY):
        yield


def send(client: Any, method: str, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


def errors(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


def body(people: Any, **extra: Any) -> dict[str, Any]:
    product = ProductFactory()
    return {
        "customer_id": owned(owner=people.rep).customer.pk,
        "title": "年度采购合同",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + timedelta(days=365)).isoformat(),
        "payment_terms": "30% 预付",
        "lines": [{"product_id": product.pk, "quantity": "2", "unit_price": "1000.00", "tax_rate": "9"}],
        **extra,
    }


def test_create_by_hand_answers_the_contract_with_its_lines(people):
    response = send(login(people.rep), "post", "/api/v1/contracts", body(people))
    assert response.status_code == 201
    data = response.json()
    assert (data["number"], data["status"], data["net_amount"], data["tax_amount"], data["amount"], data["locked"]) == (
        f"HT-IND-{TODAY.year}-0001",
        "draft",
        "2000.00",
        "180.00",
        "2180.00",
        False,
    )
    assert [(x["quantity"], x["amount"]) for x in data["lines"]] == [("2.000", "2180.00")]


def test_create_with_the_same_idempotency_key_creates_once(people):
    client = login(people.rep)
    payload = body(people)
    first = send(client, "post", "/api/v1/contracts", payload, **{"Idempotency-Key": "k-1"})
    again = send(client, "post", "/api/v1/contracts", payload, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
    assert Contract.objects.count() == 1


def test_a_bad_line_is_422_naming_the_line(people):
    payload = body(people)
    payload["lines"][0]["tax_rate"] = "17"
    response = send(login(people.rep), "post", "/api/v1/contracts", payload)
    assert response.status_code == 422
    assert errors(response) == [("lines.0.tax_rate", t("Choose a VAT rate: 13, 9, 6 or 0."))]
    assert Contract.objects.count() == 0


def test_more_lines_than_a_contract_holds_are_422_naming_both_numbers(people, monkeypatch):
    monkeypatch.setattr("xietong.core.validators.MAX_LINES", 2)
    client = login(people.rep)
    payload = body(people)
    payload["lines"] = payload["lines"] * 3
    response = send(client, "post", "/api/v1/contracts", payload)
    assert (response.status_code, errors(response)) == (
        422,
        [("lines", t("At most %(limit)s lines: %(count)s were given.") % {"limit": 2, "count": 3})],
    )
    assert Contract.objects.count() == 0
    payload["lines"] = payload["lines"][:2]
    assert send(client, "post", "/api/v1/contracts", payload).status_code == 201


def test_an_invisible_customer_is_422_no_such_customer(people):
    payload = body(people, customer_id=owned(owner=people.outsider).customer.pk)
    response = send(login(people.rep), "post", "/api/v1/contracts", payload)
    assert (response.status_code, errors(response)) == (422, [("customer_id", t("No such customer."))])


def test_create_from_an_accepted_quote(people):
    q = quote(people.rep, status=QuoteStatus.ACCEPTED)
    response = send(login(people.rep), "post", "/api/v1/contracts", {"quote_id": q.pk})
    assert response.status_code == 201
    data = response.json()
    assert (data["quote_id"], data["amount"], data["customer"]["id"]) == (q.pk, str(q.total), q.customer_id)


def test_create_from_a_draft_quote_is_409(people):
    q = quote(people.rep, status=QuoteStatus.DRAFT)
    response = send(login(people.rep), "post", "/api/v1/contracts", {"quote_id": q.pk})
    assert response.status_code == 409


def test_list_filters_and_pages_without_n_plus_one(people):
    client = login(people.rep)
    contract(people.rep, status=S.DRAFT)
    ending = contract(people.rep, status=S.ACTIVE, end_date=TODAY + timedelta(days=10))
    contract(people.outsider, status=S.ACTIVE)
    response = client.get(f"/api/v1/contracts?status=active&ending_before={(TODAY + timedelta(days=20)).isoformat()}")
    assert [row["id"] for row in response.json()["results"]] == [ending.pk]
    assert client.get("/api/v1/contracts?status=nonsense").status_code == 422
    assert_queries_constant(
        lambda: client.get("/api/v1/contracts"),
        lambda: [contract(people.rep, status=S.ACTIVE) for _ in range(3)],
    )


def test_patch_a_draft_with_lines_and_the_lock_in_review(people):
    client = login(people.rep)
    c = contract(people.rep, status=S.DRAFT)
    product = ProductFactory()
    response = send(
        client,
        "patch",
        f"/api/v1/contracts/{c.pk}",
        {
            "title": "改名",
            "lines": [{"product_id": product.pk, "quantity": "1", "unit_price": "10.00", "tax_rate": "0"}],
        },
    )
    assert (response.status_code, response.json()["title"], response.json()["amount"]) == (200, "改名", "10.00")
    Contract.objects.filter(pk=c.pk).update(status=S.IN_REVIEW)
    locked = send(client, "patch", f"/api/v1/contracts/{c.pk}", {"title": "再改"})
    assert locked.status_code == 409
    assert locked.json()["detail"] == t("The contract is in review and locked: it cannot be changed now.")
    assert Contract.objects.get(pk=c.pk).title == "改名"


def test_submit_then_sign_with_the_scan_then_terminate(people, engine):
    client = login(people.rep)
    c = contract(people.rep, status=S.DRAFT)
    response = send(client, "post", f"/api/v1/contracts/{c.pk}/submit")
    assert (response.status_code, response.json()["status"], response.json()["locked"]) == (200, "in_review", True)
    engine.approve(c)
    from django.core.files.uploadedfile import SimpleUploadedFile

    scan = SimpleUploadedFile("signed.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(f"/api/v1/contracts/{c.pk}/sign", {"signed_date": TODAY.isoformat(), "scan": scan})
    assert (response.status_code, response.json()["status"], response.json()["has_scan"]) == (200, "active", True)
    again = send(client, "post", f"/api/v1/contracts/{c.pk}/submit")
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {
            "field": "status",
            "message": t("The contract is “%(status)s”: it cannot be %(action)s.")
            % {"status": S.ACTIVE.label, "action": t("submitted for review")},
        }
    ]
    response = send(client, "post", f"/api/v1/contracts/{c.pk}/terminate", {"reason": "违约"})
    assert (response.status_code, response.json()["status"]) == (200, "terminated")


def test_sign_without_a_scan_is_422_on_scan(people):
    c = contract(people.rep, status=S.APPROVED)
    response = login(people.rep).post(f"/api/v1/contracts/{c.pk}/sign", {"signed_date": TODAY.isoformat()})
    assert (response.status_code, errors(response)) == (
        422,
        [("scan", t("Attach the signed contract (PDF or image)."))],
    )


def test_amend_and_read_the_versions(people, engine):
    client = login(people.rep)
    c = contract(people.rep, status=S.ACTIVE, terms="旧条款")
    response = send(client, "post", f"/api/v1/contracts/{c.pk}/amend", {"reason": "补充条款", "terms": "新条款"})
    assert (response.status_code, response.json()["status"], response.json()["version"]) == (200, "in_review", 2)
    versions = client.get(f"/api/v1/contracts/{c.pk}/versions").json()
    assert [(v["version"], v["reason"], v["snapshot"]["fields"]["terms"]) for v in versions] == [
        (1, "补充条款", "旧条款")
    ]
    one = client.get(f"/api/v1/contracts/{c.pk}/versions/1")
    assert (one.status_code, one.json()["created_by"]["id"]) == (200, people.rep.pk)
    assert client.get(f"/api/v1/contracts/{c.pk}/versions/7").status_code == 404
    assert ContractVersion.objects.count() == 1


def test_an_amendment_through_the_api_keeps_ordered_lines_by_id(people, engine):
    client = login(people.rep)
    c = contract(people.rep, status=S.ACTIVE)
    o = order(c)
    lines = client.get(f"/api/v1/contracts/{c.pk}").json()["lines"]
    kept = {k: lines[0][k] for k in ("id", "quantity", "unit_price", "tax_rate")} | {
        "product_id": lines[0]["product"]["id"]
    }
    new = {"product_id": ProductFactory().pk, "quantity": "1", "unit_price": "10.00"}
    refused = send(client, "post", f"/api/v1/contracts/{c.pk}/amend", {"reason": "换货", "lines": [new]})
    assert (refused.status_code, [field for field, _m in errors(refused)]) == (422, ["lines"])
    response = send(client, "post", f"/api/v1/contracts/{c.pk}/amend", {"reason": "加一项", "lines": [kept, new]})
    assert response.status_code == 200
    assert [line["id"] == kept["id"] for line in response.json()["lines"]] == [True, False]
    assert list(o.lines.values_list("contract_line_id", flat=True)) == [kept["id"]]


def test_a_contract_outside_the_scope_is_404_like_a_missing_one(people):
    foreign = contract(people.outsider, status=S.DRAFT)
    client = login(people.rep)
    for url in (f"/api/v1/contracts/{foreign.pk}", "/api/v1/contracts/999999"):
        response = client.get(url)
        assert (response.status_code, response.json()) == (404, {"detail": t("Not found."), "errors": []})


def test_sequences_for_the_bu_head_with_a_preview_and_a_refused_pattern(people):
    client = login(people.head)
    bu = people.org["bu1"]
    listed = client.get("/api/v1/contract-sequences").json()
    assert [(row["business_unit"]["id"], row["next_number"]) for row in listed] == [
        (bu.pk, f"HT-IND-{TODAY.year}-0001")
    ]
    response = send(
        client, "put", f"/api/v1/contract-sequences/{bu.pk}", {"pattern": "GY{yy}{mm}-{seq:03d}", "prefix": "GY"}
    )
    assert (response.status_code, response.json()["next_number"]) == (200, f"GY{TODAY:%y%m}-001")
    assert ContractSequence.objects.get(business_unit=bu).pattern == "GY{yy}{mm}-{seq:03d}"
    bad = send(client, "put", f"/api/v1/contract-sequences/{bu.pk}", {"pattern": "GY"})
    assert (bad.status_code, errors(bad)) == (422, [("pattern", t("The pattern needs {seq}, the running number."))])
    assert client.get(f"/api/v1/contract-sequences/{people.org['bu2'].pk}").status_code == 404
    assert login(people.rep).get(f"/api/v1/contract-sequences/{bu.pk}").status_code == 404


def test_money_in_the_api_is_two_decimals(people):
    c = contract(people.rep, status=S.DRAFT)
    data = login(people.rep).get(f"/api/v1/contracts/{c.pk}").json()
    assert Decimal(data["amount"]) == c.amount
    assert data["amount"] == f"{c.amount:.2f}"


def test_text_longer_than_its_field_is_refused_by_name_not_cut(people, engine):
    """The API stored the first 60 characters of a signatory (and 500 of a reason) and answered 201;
    the pages refused the same input by name."""
    today = timezone.localdate()
    client = login(people.rep)
    body = {
        "customer_id": owned(owner=people.rep).customer.pk,
        "title": "年度采购合同",
        "customer_signatory": "张" * 61,
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=365)).isoformat(),
        "lines": [{"product_id": ProductFactory().pk, "quantity": "2", "unit_price": "1000.00"}],
    }
    response = send(client, "post", "/api/v1/contracts", body)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "customer_signatory", "message": t("At most %(n)d characters.") % {"n": 60}}],
    )
    assert send(client, "post", "/api/v1/contracts", {**body, "customer_signatory": "张" * 60}).status_code == 201
    signed = contract(people.rep)
    response = send(client, "post", f"/api/v1/contracts/{signed.pk}/amend", {"reason": "原" * 501, "terms": "新条款"})
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["reason"])
    response = send(client, "post", f"/api/v1/contracts/{signed.pk}/terminate", {"reason": "原" * 501})
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["reason"])
    signed.refresh_from_db()
    assert (signed.version, signed.status) == (1, S.SIGNED)
