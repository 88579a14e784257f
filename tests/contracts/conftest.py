"""People of the contract tests, with the built-in roles: two reps of BU1's sales tree, their
manager, the BU head, an operations user of BU1, a rep of BU2; a fake approval engine for the HQ
review (``engine``), and signed scans stored in a temporary folder."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.factories import UserFactory, grant, manage
from xietong.approvals import registry
from xietong.org.defaults import ensure_default_roles
from xietong.org.models import Group


@pytest.fixture
def people(org: dict[str, Any]) -> SimpleNamespace:
    roles = ensure_default_roles()
    Group.objects.update_or_create(pk=1, defaults={"name": "协同测试集团有限公司"})

    def person(username: str, name: str, team: str, role: str, bu: Any = None) -> Any:
        user = UserFactory(username=username, display_name=name, primary_team=org[team])
        grant(user, roles[role], bu)
        return user

    manager = person("manager", "钱经理", "east", "sales_manager")
    manage(manager, org["east"])
    return SimpleNamespace(
        org=org,
        rep=person("rep", "王销售", "pudong", "sales_rep"),
        rep2=person("rep2", "李销售", "shanghai", "sales_rep"),
        manager=manager,
        head=person("head", "赵总", "east", "bu_head", org["bu1"]),
        ops=person("ops", "孙运营", "supply", "operations", org["bu1"]),
        outsider=person("outsider", "周外部", "north", "sales_rep"),
    )


class FakeEngine:
    """Stands in for ``approvals.services.approval_submit`` with one flow that applies to every
    contract: submitting calls ``on_submitted``; ``approve`` / ``reject`` call the document type's
    callbacks as the engine does (inside a transaction, the row locked)."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, *, document: Any, actor: Any, comment: str = "") -> Any:
        doc = type(document).objects.select_for_update().get(pk=document.pk)
        self.submitted.append(doc.pk)
        registry.of(doc).on_submitted(doc, "request")
        return "request"

    def _decide(self, contract: Any, callback: str) -> None:
        from django.db import transaction

        with transaction.atomic():
            doc = type(contract).objects.select_for_update().get(pk=contract.pk)
            getattr(registry.of(doc), callback)(doc, "request")
        contract.refresh_from_db()

    def approve(self, contract: Any) -> None:
        self._decide(contract, "on_approved")

    def reject(self, contract: Any) -> None:
        self._decide(contract, "on_returned")


@pytest.fixture
def engine(monkeypatch: Any) -> FakeEngine:
    from xietong.approvals import services as approvals

    fake = FakeEngine()
    monkeypatch.setattr(approvals, "approval_submit", fake.submit)
    return fake


@pytest.fixture(autouse=True)
def scans(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
