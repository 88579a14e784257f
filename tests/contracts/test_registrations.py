"""What contracts add to the shared surfaces: navigation entries for who may use them, the daily job,
audit verb labels, and the renewal notification's sentence; and the extension points through which the
apps above (orders, receivables) tell the contracts' services what they hold of a contract, and contracts
tell the quotes' which quotes are under contract (ADR 0013: neither imports the apps to its right)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.money import contract, order
from tests.support.pipeline import ProductFactory
from xietong.collaboration import kinds
from xietong.contracts import registrations, services
from xietong.contracts.choices import ContractStatus as S
from xietong.core import audit, navigation, scheduling
from xietong.orders.choices import OrderStatus
from xietong.quotes import registrations as quote_registrations

pytestmark = pytest.mark.django_db


def _labels(user):
    return [str(item["label"]) for group in navigation.menu_for(user, "/") for item in group["items"]]


def _label(url_name):
    (item,) = [i for i in navigation._items if i.url_name == url_name]
    return str(item.label)


def test_the_contract_list_is_in_the_menu_and_the_number_settings_for_administrators_only(people):
    rep, head, outsider = _labels(people.rep), _labels(people.head), _labels(people.outsider)
    assert _label("contracts:list") in rep and _label("contracts:list") in outsider  # a BU2 rep
    assert _label("contracts:sequences") in head and _label("contracts:sequences") not in rep


def test_the_daily_job_and_the_audit_verbs_are_registered():
    assert scheduling.get("contracts-daily").every.days == 1
    verbs = ("contract_submitted", "contract_signed", "contract_terminated", "contract_amended", "amendment_rejected")
    assert set(verbs) <= set(audit.VERB_LABELS)


def test_the_renewal_notification_says_which_contract_ends_when():
    text = kinds.text_of(
        "contract_renewal", {"number": "HT-IND-2026-0001", "title": "采购合同", "end_date": "2027-01-31", "days": 30}
    )
    assert "HT-IND-2026-0001" in text and "2027-01-31" in text and "30" in text


def test_orders_and_receivables_say_what_they_hold_of_contracts_and_contracts_which_quotes_they_took():
    assert set(registrations._dependents) == {"orders", "receivables"}
    assert set(quote_registrations._dependents) == {"contracts"}


def test_what_orders_took_of_a_line_comes_through_the_hook_and_a_cancelled_order_still_pins_its_line(people):
    c = contract(people.rep, status=S.ACTIVE)
    order(c, status=OrderStatus.CANCELLED)
    (line,) = c.lines.all()
    assert registrations.ordered_of_lines([line.pk]) == {line.pk: (Decimal("0"), Decimal("0"))}  # pinned, none taken
    order(c)
    assert registrations.ordered_of_lines([line.pk]) == {line.pk: (line.quantity, line.amount)}
    assert registrations.ordered_of_lines([]) == {}


def test_several_apps_answers_add_up(people, monkeypatch):
    c = contract(people.rep, status=S.ACTIVE)
    order(c)
    (line,) = c.lines.all()
    dealer = registrations.ContractDependent(
        "dealer_orders",
        ordered=lambda ids: {pk: (Decimal("1"), Decimal("10.00")) for pk in ids},
        invoiced=lambda contract_id: Decimal("5.00"),
    )
    monkeypatch.setitem(registrations._dependents, "dealer_orders", dealer)
    assert registrations.ordered_of_lines([line.pk]) == {line.pk: (line.quantity + 1, line.amount + 10)}
    assert registrations.invoiced_of(c.pk) == Decimal("5.00")


def test_with_no_app_above_registered_every_line_is_free_and_nothing_is_invoiced(people, engine, monkeypatch):
    """The contracts app alone: an ordered line may change its product (nothing says it was ordered)."""
    monkeypatch.setattr(registrations, "_dependents", {})
    c = contract(people.rep, status=S.ACTIVE)
    order(c)
    (line,) = c.lines.all()
    assert (registrations.ordered_of_lines([line.pk]), registrations.invoiced_of(c.pk)) == ({}, Decimal("0"))
    other = ProductFactory()
    sent = [
        {
            "id": line.pk,
            "product": other.pk,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "discount_amount": str(line.discount_amount),
            "tax_rate": str(line.tax_rate),
        }
    ]
    services.contract_amend(actor=people.rep, contract=c, reason="换型号", lines=sent)
    line.refresh_from_db()
    assert line.product_id == other.pk
