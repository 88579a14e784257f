"""Duplicate rules: the table over the defaults, changing a rule, the settings page and the endpoints."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import login
from tests.customers.dup_support import bu_head, customer, rep
from xietong.core.errors import PermissionDenied, ValidationError
from xietong.core.models import AuditEntry
from xietong.customers import matching
from xietong.customers.duplicate_rules import duplicate_rule_set, duplicate_rules_table
from xietong.customers.models import DuplicateRule

pytestmark = pytest.mark.django_db


def test_the_table_lists_every_target_and_key_with_the_defaults(org):
    rows = duplicate_rules_table()
    assert len(rows) == 15
    keys = ("credit_code", "name", "mobile", "email", "fuzzy_name")
    assert {(r.target, r.key) for r in rows} == {(t, k) for t in ("customer", "lead", "contact") for k in keys}
    assert all(r.is_default and r.action == matching.DEFAULT_ACTIONS[r.target][r.key] for r in rows)
    by_key = {(r.target, r.key): r.action for r in rows}
    assert (by_key["customer", "name"], by_key["lead", "name"], by_key["customer", "credit_code"]) == (
        "block",
        "warn",
        "block",
    )


def test_setting_a_rule_changes_what_enforce_does_and_is_audited(org, admin):
    head = admin
    customer("华为技术有限公司")
    cands = matching.customer_candidates(name="华为技术")
    with pytest.raises(matching.DuplicateFound):
        matching.enforce(target="customer", candidates=cands, reason="集团内两家")

    duplicate_rule_set(actor=head, target="customer", key="name", action="warn")
    matching.enforce(target="customer", candidates=cands, reason="集团内两家")  # a reason lets it through
    with pytest.raises(matching.DuplicateFound) as caught:
        matching.enforce(target="customer", candidates=cands)
    assert (caught.value.blocked, list(caught.value.message_dict)) == (False, ["name"])
    row = next(r for r in duplicate_rules_table() if (r.target, r.key) == ("customer", "name"))
    assert (row.action, row.is_default) == ("warn", False)

    duplicate_rule_set(actor=head, target="customer", key="name", action="block")
    with pytest.raises(matching.DuplicateFound) as caught:
        matching.enforce(target="customer", candidates=cands, reason="集团内两家")
    assert caught.value.blocked
    assert DuplicateRule.objects.filter(target="customer", key="name").count() == 1

    entries = AuditEntry.objects.filter(verb="duplicate_rule").order_by("id")
    assert [(e.actor_id, e.changes) for e in entries] == [
        (head.pk, {"action": ["block", "warn"]}),
        (head.pk, {"action": ["warn", "block"]}),
    ]
    duplicate_rule_set(actor=head, target="customer", key="name", action="block")  # no change, no entry
    assert entries.count() == 2


@pytest.mark.parametrize(
    ("target", "key", "action", "field"),
    [("deal", "name", "warn", "target"), ("lead", "phone", "warn", "key"), ("lead", "name", "ignore", "action")],
)
def test_invalid_values_name_the_field(org, admin, target, key, action, field):
    with pytest.raises(ValidationError) as caught:
        duplicate_rule_set(actor=admin, target=target, key=key, action=action)
    assert list(caught.value.message_dict) == [field]
    assert not DuplicateRule.objects.exists()


def test_only_group_administrators_of_customers_may_change_rules(org):
    with pytest.raises(PermissionDenied):
        duplicate_rule_set(actor=rep(org, "rep1"), target="lead", key="name", action="block")
    with pytest.raises(PermissionDenied):  # a BU head administers one BU; the rules hold for the group
        duplicate_rule_set(actor=bu_head(org, "head"), target="lead", key="name", action="block")


def test_the_page_lists_and_saves_rules_for_administrators_only(org, admin, client):
    url = reverse("customers:duplicate_rules")
    assert url == "/customers/duplicates/rules/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    owner = rep(org, "rep1")
    assert login(owner).get(url).status_code == 403
    assert login(owner).post(url, {"target": "lead", "key": "name", "action": "block"}).status_code == 403
    assert login(bu_head(org, "head")).get(url).status_code == 403
    head = login(admin)
    page = head.get(url)
    assert page.status_code == 200
    assert 'form="rule-lead-email"' in page.content.decode()
    assert head.post(url, {"target": "lead", "key": "email", "action": "allow"}).status_code == 303
    assert DuplicateRule.objects.get(target="lead", key="email").action == "allow"
    assert head.post(url, {"target": "lead", "key": "email", "action": "nope"}).status_code == 303
    assert DuplicateRule.objects.get(target="lead", key="email").action == "allow"
    assert 'href="/customers/duplicates/rules/"' in head.get(reverse("customers:duplicate_queue")).content.decode()
    # a BU head reviews the BU's duplicates, and is not offered the group's rules (403)
    bu_queue = login(bu_head(org, "head")).get(reverse("customers:duplicate_queue"))
    assert bu_queue.status_code == 200
    assert 'href="/customers/duplicates/rules/"' not in bu_queue.content.decode()


def test_the_endpoints(org, admin):
    owner, head = login(rep(org, "rep1")), login(admin)
    body = {"target": "contact", "key": "mobile", "action": "block"}
    assert owner.get("/api/v1/duplicate-rules").status_code == 403
    assert owner.put("/api/v1/duplicate-rules", body, content_type="application/json").status_code == 403
    listed = head.get("/api/v1/duplicate-rules").json()
    assert len(listed) == 15
    assert {"target": "contact", "key": "mobile", "action": "warn", "is_default": True} in listed
    response = head.put("/api/v1/duplicate-rules", body, content_type="application/json")
    assert (response.status_code, response.json()) == (200, {**body, "is_default": False})
    assert {**body, "is_default": False} in head.get("/api/v1/duplicate-rules").json()
    response = head.put("/api/v1/duplicate-rules", {**body, "action": "maybe"}, content_type="application/json")
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["action"])
    assert AuditEntry.objects.filter(verb="duplicate_rule").count() == 1
