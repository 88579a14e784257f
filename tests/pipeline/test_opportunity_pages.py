"""Opportunity pages: the form, the deal room, its editors (lines, contacts, team, checklist) and the
actions (move, win, lose, reopen) — success, errors keeping what was typed, gate messages, read-only
members and the query-count guard."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext

from tests.conftest import login
from tests.support.crm import ContactFactory
from tests.support.factories import UserFactory, grant
from tests.support.forms import submitted
from tests.support.pipeline import ProductFactory, opportunity, stage
from tests.support.queries import assert_queries_constant, counts_of_pages
from xietong.org.defaults import ensure_default_roles
from xietong.pipeline import services
from xietong.pipeline.models import (
    ChecklistCheck,
    ChecklistItem,
    DealTeamMember,
    Opportunity,
    OpportunityLine,
    StageMove,
)

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(f"pipeline:{name}", args=args)


def text(response: Any) -> str:
    return response.content.decode()


def formset_data(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{n}-{key}"] = value
    return data


@pytest.fixture
def deal(people, process) -> Opportunity:
    return opportunity(people.rep, process=process, name="华东厂房改造")


# --- create and edit ------------------------------------------------------------------------------------


def test_create_page_lists_no_customers_and_costs_the_same_for_more(people, process, customer_of):
    """The customer select is a search box (``SearchSelect``): none of the customers the rep sees is
    on the page, and more of them cost no query."""
    names = [customer_of(people.rep).name for _ in range(2)]
    client = login(people.rep)
    page = text(client.get(url("opportunity_create")))
    assert 'data-xt-picker="/api/v1/customers"' in page
    assert [name for name in names if name in page] == []
    assert page.count("<option", page.index('name="customer"'), page.index('name="name"')) == 1  # the empty one
    assert_queries_constant(
        lambda: client.get(url("opportunity_create")), lambda: [customer_of(people.rep) for _ in range(5)]
    )


def test_create_page_starts_a_deal_for_the_given_customer(people, process, customer_of):
    customer = customer_of(people.rep)
    client = login(people.rep)
    page = client.get(url("opportunity_create") + f"?customer={customer.pk}")
    assert page.status_code == 200
    assert f'name="customer" value="{customer.pk}"' in text(page)
    first = stage(process, "初步接洽")
    response = client.post(
        url("opportunity_create") + f"?customer={customer.pk}",
        {"customer": customer.pk, "name": "新厂房", "stage": first.pk, "amount": "250000", "probability": ""},
    )
    opp = Opportunity.objects.get(name="新厂房")
    assert response.status_code == 303
    assert response["Location"] == url("opportunity_detail", opp.pk)
    assert (opp.customer, opp.owner, opp.stage, opp.amount, opp.probability) == (
        customer,
        people.rep,
        first,
        Decimal("250000.00"),
        10,
    )


def test_create_refuses_a_customer_outside_the_scope(people, process, customer_of):
    foreign = customer_of(people.outsider)
    client = login(people.rep)
    assert client.get(url("opportunity_create") + f"?customer={foreign.pk}").status_code == 404
    response = client.post(url("opportunity_create"), {"customer": foreign.pk, "name": "x", "stage": ""})
    assert response.status_code == 200
    assert Opportunity.objects.count() == 0


def test_create_errors_stand_next_to_the_fields_and_keep_what_was_typed(people, process, customer_of):
    customer = customer_of(people.rep)
    target = stage(process, "方案报价")  # a gate: product lines and a close date
    response = login(people.rep).post(
        url("opportunity_create"),
        {"customer": customer.pk, "name": "留下的名字", "stage": target.pk, "probability": "120", "campaign": "展会"},
    )
    body = text(response)
    assert response.status_code == 200
    assert 'id="id_probability_error"' in body
    assert 'value="留下的名字"' in body and 'value="展会"' in body
    assert Opportunity.objects.count() == 0
    # valid fields, but the starting stage's gate refuses: the message names what is missing
    response = login(people.rep).post(
        url("opportunity_create"), {"customer": customer.pk, "name": "留下的名字", "stage": target.pk}
    )
    assert gettext("at least one product line") in text(response)
    assert 'value="留下的名字"' in text(response)
    assert Opportunity.objects.count() == 0


def test_edit_changes_fields_and_the_owner(people, deal):
    response = login(people.rep).post(
        url("opportunity_edit", deal.pk),
        {
            "name": "改名",
            "owner": people.rep2.pk,
            "amount": "300000",
            "probability": "40",
            "forecast_category": "commit",
            "next_step": "拜访总工",
            "next_step_date": "2030-01-05",
        },
    )
    assert response.status_code == 303
    deal.refresh_from_db()
    assert (deal.name, deal.owner, deal.amount, deal.probability, deal.forecast_category, deal.next_step) == (
        "改名",
        people.rep2,
        Decimal("300000.00"),
        40,
        "commit",
        "拜访总工",
    )
    assert DealTeamMember.objects.filter(opportunity=deal, user=people.rep2, access="edit").exists()


def test_edit_errors_keep_what_was_typed(people, deal):
    response = login(people.rep).post(
        url("opportunity_edit", deal.pk),
        {"name": "", "owner": people.rep.pk, "forecast_category": "pipeline", "competitors": "西门子"},
    )
    assert response.status_code == 200
    assert 'id="id_name_error"' in text(response)
    assert 'value="西门子"' in text(response)
    deal.refresh_from_db()
    assert deal.competitors == ""


# --- the deal room -----------------------------------------------------------------------------------------


def test_the_deal_room_shows_header_path_tabs_and_collaboration(people, deal, process):
    product = ProductFactory(name="龙门铣床", list_price=Decimal("1200.50"))
    deal.lines.create(product=product, quantity=Decimal("2"), unit_price=Decimal("1200.50"), discount=Decimal("10"))
    contact = ContactFactory(customer=deal.customer, name="陈总工")
    deal.contact_roles.create(contact=contact, role="decision_maker")
    ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text="确认预算", required=True)
    response = login(people.rep).get(url("opportunity_detail", deal.pk))
    body = text(response)
    assert response.status_code == 200
    assert "华东厂房改造" in body
    assert body.count('aria-current="step"') == 1
    for s in process.stages.all():
        assert f'data-stage="{s.pk}"' in body
    assert "龙门铣床" in body and "¥2,160.90" in body  # 2 × 1200.50 × 90 %
    assert "陈总工" in body
    assert "确认预算" in body and gettext("Needed to move on") in body
    assert 'id="xt-followups-panel"' in body
    assert url("opportunity_win", deal.pk) in body and url("opportunity_lines", deal.pk) in body
    assert url("opportunity_history", deal.pk) in body or "xt-history" in body


def test_a_read_only_member_sees_everything_but_no_edit_controls(people, deal, process):
    DealTeamMember.objects.create(opportunity=deal, user=people.supply, role="supply", access="read", split=0)
    item = ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text="确认预算", required=True)
    client = login(people.supply)
    body = text(client.get(url("opportunity_detail", deal.pk)))
    assert "华东厂房改造" in body and "确认预算" in body
    for name in ("opportunity_edit", "opportunity_win", "opportunity_lines", "opportunity_team", "opportunity_stage"):
        assert url(name, deal.pk) not in body
    assert url("opportunity_check", deal.pk, item.pk) not in body
    # the pages and posts are refused (the deal is seen: 403, not 404), nothing changes
    assert client.get(url("opportunity_edit", deal.pk)).status_code == 403
    assert client.post(url("opportunity_check", deal.pk, item.pk), {"done": "on"}).status_code == 403
    assert client.post(url("opportunity_stage", deal.pk), {"stage": stage(process, "需求确认").pk}).status_code == 403
    assert client.post(url("opportunity_win", deal.pk), {}).status_code == 403
    assert not ChecklistCheck.objects.exists()
    assert StageMove.objects.filter(opportunity=deal).count() == 1


def test_a_member_outside_the_customers_scope_sees_its_names_without_links(people, process, customer_of):
    """A link to a record the viewer does not see would answer 404: the deal room names the customer
    and the contacts to a deal-team member who does not see them, and links them for the owner."""
    deal = opportunity(people.rep, process=process, customer=customer_of(people.rep), name="华东厂房改造")
    contact = ContactFactory(customer=deal.customer, name="陈总工")
    deal.contact_roles.create(contact=contact, role="user")
    DealTeamMember.objects.create(opportunity=deal, user=people.supply, role="supply", access="read", split=0)
    customer_url = reverse("customers:customer_detail", args=[deal.customer_id])
    contact_url = reverse("customers:contact_detail", args=[contact.pk])
    member = login(people.supply)
    body = text(member.get(url("opportunity_detail", deal.pk)))
    assert deal.customer.name in body and "陈总工" in body
    assert customer_url not in body and contact_url not in body
    assert member.get(customer_url).status_code == 404  # what the link would have answered
    owner_body = text(login(people.rep).get(url("opportunity_detail", deal.pk)))
    assert f'href="{customer_url}"' in owner_body and f'href="{contact_url}"' in owner_body


def test_the_way_back_to_the_lists_shows_only_to_those_who_may_open_them(people, deal, org):
    """Finance has no permission on the pipeline: as a deal-team member it sees the deal, and no
    breadcrumb to the opportunity list that would answer 403."""
    finance = UserFactory(username="finance", display_name="沈财务", primary_team=org["east"])
    grant(finance, ensure_default_roles()["finance"])
    DealTeamMember.objects.create(opportunity=deal, user=finance, role="finance", access="read", split=0)
    client = login(finance)
    response = client.get(url("opportunity_detail", deal.pk))
    assert response.status_code == 200
    assert f'href="{url("list")}"' not in text(response)
    assert client.get(url("list")).status_code == 403
    assert f'href="{url("list")}"' in text(login(people.rep).get(url("opportunity_detail", deal.pk)))


def test_an_outsider_gets_404(people, deal):
    client = login(people.outsider)
    assert client.get(url("opportunity_detail", deal.pk)).status_code == 404
    assert client.post(url("opportunity_win", deal.pk), {}).status_code == 404


def test_the_detail_page_does_not_grow_queries_with_lines_members_and_moves(people, deal, process):
    client = login(people.rep)
    ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text="确认预算")
    # one contact from the start: which contacts to link is one query for all of them, asked once
    # there is any (a first contact adds that query; more must not add any)
    deal.contact_roles.create(contact=ContactFactory(customer=deal.customer), role="user")

    def add() -> None:
        for n in range(3):
            deal.lines.create(product=ProductFactory(), quantity=1 + n, unit_price=Decimal("10"))
            deal.contact_roles.create(contact=ContactFactory(customer=deal.customer), role="user")
            ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text=f"事项{n}")
        for user in (people.rep2, people.supply):
            DealTeamMember.objects.create(opportunity=deal, user=user, role="supply", access="read", split=0)
        StageMove.objects.create(
            opportunity=deal,
            from_stage=stage(process, "初步接洽"),
            to_stage=stage(process, "需求确认"),
            moved_at=deal.stage_entered_at,
            amount=deal.amount,
            actor=people.rep,
            seconds_in_from=3600,
        )

    assert_queries_constant(lambda: client.get(url("opportunity_detail", deal.pk)), add)


# --- the stage path -------------------------------------------------------------------------------------------


def test_moving_on_the_stage_path_names_what_the_gate_misses(people, deal, process):
    client = login(people.rep)
    target = stage(process, "方案报价")
    response = client.post(url("opportunity_stage", deal.pk), {"stage": target.pk}, headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 200
    assert 'id="opp-gate-refusal"' in body
    assert gettext("at least one product line") in body and gettext("an expected close date") in body
    deal.refresh_from_db()
    assert deal.stage.name == "初步接洽"
    # without htmx: back to the page, the refusal as a message
    response = client.post(url("opportunity_stage", deal.pk), {"stage": target.pk}, follow=True)
    assert gettext("a contact of the customer") in text(response)


def test_moving_to_a_stage_whose_gate_is_met(people, deal, process):
    deal.contact_roles.create(contact=ContactFactory(customer=deal.customer), role="user")
    response = login(people.rep).post(url("opportunity_stage", deal.pk), {"stage": stage(process, "需求确认").pk})
    assert response.status_code == 303
    deal.refresh_from_db()
    assert deal.stage.name == "需求确认"


# --- product lines ----------------------------------------------------------------------------------------------


def test_lines_are_saved_and_the_amount_is_their_sum(people, deal):
    a = ProductFactory(list_price=Decimal("1000.00"))
    b = ProductFactory(list_price=Decimal("50.00"))
    client = login(people.rep)
    page = client.get(url("opportunity_lines", deal.pk))
    assert page.status_code == 200
    data = formset_data(
        "lines",
        [
            {"product": a.pk, "quantity": "2", "unit_price": "", "discount": "10", "delivery_month": "2030-03"},
            {"product": b.pk, "quantity": "3", "unit_price": "40", "discount": "", "delivery_month": ""},
            {"product": "", "quantity": "", "unit_price": "", "discount": "", "delivery_month": ""},
        ],
    )
    response = client.post(url("opportunity_lines", deal.pk), data)
    assert response.status_code == 303
    deal.refresh_from_db()
    assert deal.amount == Decimal("1920.00")  # 2 × 1000 × 90 % + 3 × 40
    assert [(line.product, line.unit_price, str(line.delivery_month)) for line in deal.lines.all()] == [
        (a, Decimal("1000.00"), "2030-03-01"),
        (b, Decimal("40.00"), "None"),
    ]


def test_saving_the_lines_as_rendered_keeps_the_lines_left_as_they_were(people, deal):
    """The page's own form posted back with one line changed: the other line stays (before, a line
    left unchanged was dropped on save)."""
    a = ProductFactory(list_price=Decimal("1000.00"))
    b = ProductFactory(list_price=Decimal("50.00"))
    services.lines_set(
        actor=people.rep,
        opportunity=deal,
        lines=[{"product": a.pk, "quantity": "2"}, {"product": b.pk, "quantity": "3", "unit_price": "40"}],
    )
    client = login(people.rep)
    data = submitted(text(client.get(url("opportunity_lines", deal.pk))), "opp-editor")
    data["lines-0-quantity"] = "5"

    assert client.post(url("opportunity_lines", deal.pk), data).status_code == 303
    assert [(line.product, line.quantity) for line in deal.lines.order_by("position")] == [
        (a, Decimal("5.000")),
        (b, Decimal("3.000")),
    ]


def test_saving_the_team_as_rendered_keeps_who_added_each_member_and_when(people, deal):
    """Before, every save re-created the team: each member became "added by" whoever saved, just now."""
    services.team_set(
        actor=people.rep,
        opportunity=deal,
        members=[
            {"user": people.rep.pk, "role": "sales", "access": "edit", "split": "70"},
            {"user": people.rep2.pk, "role": "presales", "access": "read", "split": "30"},
        ],
    )
    added = {m.user_id: (m.pk, m.added_by_id, m.added_at) for m in deal.team.all()}
    client = login(people.manager)
    data = submitted(text(client.get(url("opportunity_team", deal.pk))), "opp-editor")

    assert client.post(url("opportunity_team", deal.pk), data).status_code == 303
    assert {m.user_id: (m.pk, m.added_by_id, m.added_at) for m in deal.team.all()} == added
    assert sorted(deal.team.values_list("split", flat=True)) == [Decimal("30.00"), Decimal("70.00")]


def test_line_errors_stand_on_their_row_and_keep_the_input(people, deal):
    a = ProductFactory()
    response = login(people.rep).post(
        url("opportunity_lines", deal.pk),
        formset_data(
            "lines",
            [
                {"product": a.pk, "quantity": "2", "unit_price": "", "discount": "", "delivery_month": "2030-03"},
                {"product": a.pk, "quantity": "0", "unit_price": "99.5", "discount": "", "delivery_month": ""},
            ],
        ),
    )
    body = text(response)
    assert response.status_code == 200
    assert 'id="id_lines-1-quantity_error"' in body
    assert 'id="id_lines-0-quantity_error"' not in body
    assert 'value="99.5"' in body and 'value="2030-03"' in body
    assert deal.lines.count() == 0


def test_a_service_refusal_of_a_line_lands_on_that_row(people, deal, monkeypatch):
    a = ProductFactory()
    from django.core.exceptions import ValidationError

    def refuse(**kwargs: Any) -> None:
        raise ValidationError({"lines[2].discount": "第2行：折扣不对"})

    monkeypatch.setattr(services, "lines_set", refuse)
    response = login(people.rep).post(
        url("opportunity_lines", deal.pk),
        formset_data(
            "lines",
            [
                {"product": a.pk, "quantity": "1", "unit_price": "", "discount": "", "delivery_month": ""},
                {"product": a.pk, "quantity": "1", "unit_price": "", "discount": "5", "delivery_month": ""},
            ],
        ),
    )
    assert re.search(r'id="id_lines-1-discount_error"><div>第2行：折扣不对', text(response))


def test_products_offered_are_visible_and_on_sale(people, deal):
    """The rows' product box searches the products on sale the rep sees; the page lists none of them."""
    on_sale = ProductFactory(name="在售机床")
    ProductFactory(name="停售机床", status="discontinued")
    ProductFactory(name="别部机床", business_unit=people.org["bu2"])
    client = login(people.rep)
    body = text(client.get(url("opportunity_lines", deal.pk)))
    assert 'data-xt-picker="/api/v1/products?status=active"' in body
    assert [name for name in ("在售机床", "停售机床", "别部机床") if name in body] == []
    found = client.get("/api/v1/products", {"status": "active", "q": "机床", "page_size": 20}).json()["results"]
    assert [p["name"] for p in found] == [on_sale.name]


def test_a_line_keeps_its_product_on_the_page_and_a_posted_one_is_checked(people, deal):
    """Each row holds its own product (read with the others in one query); a product posted on a row
    must be one the rep may choose."""
    mine = ProductFactory(name="五轴加工中心")
    other = ProductFactory(name="别部机床", business_unit=people.org["bu2"])
    OpportunityLine.objects.create(opportunity=deal, product=mine, quantity=1, unit_price=100, position=0)
    client = login(people.rep)
    body = text(client.get(url("opportunity_lines", deal.pk)))
    assert f'<option value="{mine.pk}" selected>五轴加工中心 ({mine.code})</option>' in body
    assert body.count("五轴加工中心") == 1
    data = submitted(body, "opp-editor")
    data["lines-1-product"], data["lines-1-quantity"] = str(other.pk), "1"
    response = client.post(url("opportunity_lines", deal.pk), data)
    assert response.status_code == 200
    assert "选择一个有效的选项" in text(response)
    assert list(deal.lines.values_list("product_id", flat=True)) == [mine.pk]


# --- contacts -----------------------------------------------------------------------------------------------------


def test_contacts_are_chosen_with_their_role(people, deal):
    boss = ContactFactory(customer=deal.customer, name="陈总")
    clerk = ContactFactory(customer=deal.customer, name="小李")
    client = login(people.rep)
    page = text(client.get(url("opportunity_contacts", deal.pk)))
    assert "陈总" in page and "小李" in page
    rows = sorted([boss, clerk], key=lambda c: c.name)
    order = [c.pk for c in deal.customer.contacts.order_by("-is_primary", "name")]
    rows = [boss if pk == boss.pk else clerk for pk in order]
    data = formset_data(
        "contacts",
        [
            {"contact": c.pk, "included": "on" if c == boss else "", "role": "decision_maker" if c == boss else ""}
            for c in rows
        ],
        initial=2,
    )
    assert client.post(url("opportunity_contacts", deal.pk), data).status_code == 303
    assert list(deal.contact_roles.values_list("contact__name", "role")) == [("陈总", "decision_maker")]


def test_a_contact_of_another_customer_is_refused(people, deal):
    stranger = ContactFactory(name="外人")
    data = formset_data("contacts", [{"contact": stranger.pk, "included": "on", "role": "user"}], initial=1)
    response = login(people.rep).post(url("opportunity_contacts", deal.pk), data)
    assert response.status_code == 200
    assert gettext("No such contact of the customer.") in text(response)
    assert deal.contact_roles.count() == 0


# --- the deal team --------------------------------------------------------------------------------------------------


def test_the_team_is_saved_with_splits_summing_to_100(people, deal):
    client = login(people.rep)
    assert client.get(url("opportunity_team", deal.pk)).status_code == 200
    data = formset_data(
        "members",
        [
            {"user": people.rep.pk, "role": "sales", "access": "edit", "split": "70"},
            {"user": people.rep2.pk, "role": "presales", "access": "read", "split": "30"},
            {"user": "", "role": "sales", "access": "read", "split": ""},
        ],
        initial=1,
    )
    assert client.post(url("opportunity_team", deal.pk), data).status_code == 303
    assert list(deal.team.order_by("-split").values_list("user__username", "split", "access")) == [
        ("rep", Decimal("70.00"), "edit"),
        ("rep2", Decimal("30.00"), "read"),
    ]


def test_splits_not_summing_to_100_are_refused_with_the_sum(people, deal):
    data = formset_data(
        "members",
        [
            {"user": people.rep.pk, "role": "sales", "access": "edit", "split": "60"},
            {"user": people.rep2.pk, "role": "presales", "access": "read", "split": "30"},
        ],
        initial=1,
    )
    client = login(people.rep)
    response = client.post(url("opportunity_team", deal.pk), data)
    body = text(response)
    assert response.status_code == 200
    assert "90" in body and 'id="opp-formset-errors"' in body
    assert f'<option value="{people.rep2.pk}" selected>' in body
    assert list(deal.team.values_list("user__username", flat=True)) == ["rep"]
    # the live sum while typing (htmx preview): no write
    preview = client.post(url("opportunity_team", deal.pk), {**data, "preview": "1"}, headers={"HX-Request": "true"})
    assert 'id="opp-team-sum"' in text(preview) and "90%" in text(preview)
    assert deal.team.count() == 1


def test_a_person_outside_the_addressable_people_is_refused(people, deal):
    stranger = get_user_model().objects.create(username="nobody_else", is_active=False)
    data = formset_data("members", [{"user": stranger.pk, "role": "sales", "access": "edit", "split": "100"}])
    response = login(people.rep).post(url("opportunity_team", deal.pk), data)
    assert response.status_code == 200
    assert 'id="id_members-0-user_error"' in text(response)


# --- the checklist ---------------------------------------------------------------------------------------


def test_ticking_a_checklist_item_in_place(people, deal, process):
    item = ChecklistItem.objects.create(stage=stage(process, "初步接洽"), text="确认预算", required=True)
    client = login(people.rep)
    response = client.post(url("opportunity_check", deal.pk, item.pk), {"done": "on"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="opp-checklist"' in text(response) and 'aria-pressed="true"' in text(response)
    assert "xt-record-changed" in response["HX-Trigger"]
    assert ChecklistCheck.objects.filter(opportunity=deal, item=item).exists()
    response = client.post(url("opportunity_check", deal.pk, item.pk), {"done": "off"})
    assert response.status_code == 303
    assert not ChecklistCheck.objects.exists()


def test_ticking_an_item_of_another_process_is_404(people, deal, org):
    from tests.support.pipeline import standard_process

    other = standard_process(org["bu2"], name="医疗流程")
    item = ChecklistItem.objects.create(stage=other.stages.first(), text="x")
    assert login(people.rep).post(url("opportunity_check", deal.pk, item.pk), {"done": "on"}).status_code == 404


# --- win, lose, reopen ------------------------------------------------------------------------------------


def test_win_shows_the_gate_refusal_and_wins_when_met(people, deal, process):
    client = login(people.rep)
    page = client.get(url("opportunity_win", deal.pk))
    assert gettext("a contact of the customer") in text(page)
    response = client.post(url("opportunity_win", deal.pk), {"note": "签了"})
    assert response.status_code == 200
    assert gettext("at least one product line") in text(response) and "签了" in text(response)
    deal.refresh_from_db()
    assert deal.status == "open"
    # meet every gate
    process.stages.update(requirements=[])
    response = client.post(url("opportunity_win", deal.pk), {"note": "签了"})
    assert response.status_code == 303
    deal.refresh_from_db()
    assert (deal.status, deal.close_note, deal.probability) == ("won", "签了", 100)
    body = text(client.get(url("opportunity_detail", deal.pk)))
    assert url("opportunity_reopen", deal.pk) in body and url("opportunity_win", deal.pk) not in body


def test_lose_needs_the_competitor_when_one_won(people, deal):
    client = login(people.rep)
    response = client.post(url("opportunity_lose", deal.pk), {"reason": "competitor", "note": "价格差"})
    assert response.status_code == 200
    assert 'id="id_lost_to_error"' in text(response) and "价格差" in text(response)
    response = client.post(url("opportunity_lose", deal.pk), {"reason": "competitor", "lost_to": "友商", "note": ""})
    assert response.status_code == 303
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_to) == ("lost", "competitor", "友商")


def test_reopen_puts_the_deal_back_at_its_last_open_stage(people, deal):
    services.opportunity_lose(actor=people.rep, opportunity=deal, reason="price")
    client = login(people.rep)
    assert client.get(url("opportunity_reopen", deal.pk)).status_code == 200
    assert client.post(url("opportunity_reopen", deal.pk), {"stage": ""}).status_code == 303
    deal.refresh_from_db()
    assert (deal.status, deal.stage.name) == ("open", "初步接洽")
    response = client.post(url("opportunity_reopen", deal.pk), {"stage": ""})
    assert response.status_code == 200
    assert gettext("The opportunity is open already.") in text(response)


def test_the_history_tab_reads_team_changes(people, deal):
    services.team_set(
        actor=people.rep,
        opportunity=deal,
        members=[{"user": people.rep, "access": "edit", "split": "60"}, {"user": people.rep2, "split": "40"}],
    )
    assert login(people.rep).get(url("opportunity_detail", deal.pk)).status_code == 200


@pytest.mark.parametrize("editor", ["opportunity_lines", "opportunity_team"])
def test_the_line_and_team_editors_read_their_choices_once_whatever_their_rows(people, deal, editor):
    ProductFactory.create_batch(3)
    client = login(people.rep)
    counts = counts_of_pages(client, [f"{url(editor, deal.pk)}?rows={rows}" for rows in (1, 40)])
    assert counts[1] == counts[0]


@pytest.mark.parametrize(("editor", "prefix"), [("opportunity_lines", "lines"), ("opportunity_team", "members")])
def test_a_post_claiming_more_rows_than_the_editor_offers_is_refused_and_saves_nothing(people, deal, editor, prefix):
    product = ProductFactory(list_price=Decimal("1000.00"))
    services.lines_set(actor=people.rep, opportunity=deal, lines=[{"product": product.pk, "quantity": "2"}])
    client = login(people.rep)
    data = submitted(text(client.get(url(editor, deal.pk))), "opp-editor")
    rows = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = "100000"
    before = (list(deal.lines.values_list("product", "quantity")), list(deal.team.values_list("user", "split")))

    response = client.post(url(editor, deal.pk), data)
    assert response.status_code == 200
    initial = int(data[f"{prefix}-INITIAL_FORMS"])
    assert len(response.context["formset"].forms) == rows  # those posted, shown again
    assert response.context["formset"].non_form_errors() == [f"请最多提交 {initial + 60} 个表单。"]
    assert (list(deal.lines.values_list("product", "quantity")), list(deal.team.values_list("user", "split"))) == before
