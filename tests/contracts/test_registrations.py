"""What contracts add to the shared surfaces: navigation entries for who may use them, the daily job,
audit verb labels, and the renewal notification's sentence."""

from __future__ import annotations

import pytest

from xietong.collaboration import kinds
from xietong.core import audit, navigation, scheduling

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
