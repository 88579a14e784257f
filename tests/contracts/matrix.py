"""This area's part of the permission matrix (tests/test_permission_matrix.py): the contract pages and
API routes with an id, and its foreign records — a draft contract owned in BU2 by ``outsider`` (with a
kept version), an accepted quote of the outsider, and BU2 (whose number pattern no BU1 role administers)."""

from __future__ import annotations

from typing import Any

from tests.support.matrix import Route
from tests.support.money import contract, quote
from xietong.contracts.choices import ContractStatus
from xietong.contracts.models import ContractVersion
from xietong.contracts.services import snapshot_of
from xietong.quotes.choices import QuoteStatus

_V1 = {"version": lambda c: 1}
_EDIT = {"title": "改", "renewal_notice_days": "30", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}

ROUTES: list[Route] = [
    # pages
    Route("GET", "/contracts/{pk}/", "contract"),
    Route("GET", "/contracts/{pk}/edit/", "contract"),
    Route("POST", "/contracts/{pk}/edit/", "contract", _EDIT),
    Route("POST", "/contracts/{pk}/submit/", "contract"),
    Route("GET", "/contracts/{pk}/sign/", "contract"),
    Route("POST", "/contracts/{pk}/sign/", "contract", {"signed_date": "2026-01-01"}),
    Route("GET", "/contracts/{pk}/terminate/", "contract"),
    Route("POST", "/contracts/{pk}/terminate/", "contract", {"reason": "x"}),
    Route("GET", "/contracts/{pk}/amend/", "contract"),
    Route("POST", "/contracts/{pk}/amend/", "contract", {**_EDIT, "reason": "x"}),
    Route("GET", "/contracts/{pk}/scan/", "contract"),
    Route("GET", "/contracts/{pk}/versions/", "contract"),
    Route("GET", "/contracts/{pk}/versions/{version}/", "contract", extra=_V1),
    Route("GET", "/contracts/{pk}/why/", "contract"),
    Route("GET", "/contracts/from-quote/{pk}/", "contract_quote"),
    Route("POST", "/contracts/from-quote/{pk}/", "contract_quote", {"title": "合同"}),
    Route("GET", "/contracts/settings/numbers/{pk}/", "business_unit"),
    Route("POST", "/contracts/settings/numbers/{pk}/", "business_unit", {"pattern": "X-{seq}"}),
    # API
    Route("GET", "/api/v1/contracts/{pk}", "contract", api=True),
    Route("PATCH", "/api/v1/contracts/{pk}", "contract", {"title": "改"}, api=True),
    Route("POST", "/api/v1/contracts/{pk}/submit", "contract", api=True),
    Route("POST", "/api/v1/contracts/{pk}/sign", "contract", api=True),
    Route("POST", "/api/v1/contracts/{pk}/terminate", "contract", {"reason": "x"}, api=True),
    Route("POST", "/api/v1/contracts/{pk}/amend", "contract", {"reason": "x", "terms": "改"}, api=True),
    Route("GET", "/api/v1/contracts/{pk}/versions", "contract", api=True),
    Route("GET", "/api/v1/contracts/{pk}/versions/{version}", "contract", api=True, extra=_V1),
    Route("GET", "/api/v1/contract-sequences/{pk}", "business_unit", api=True),
    Route("PUT", "/api/v1/contract-sequences/{pk}", "business_unit", {"pattern": "X-{seq}"}, api=True),
]

NOT_SCOPED: dict[str, str] = {}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area in BU2, owned by ``outsider``: name → record."""
    c = contract(outsider, status=ContractStatus.DRAFT, title="外部合同")
    ContractVersion.objects.create(contract=c, version=1, snapshot=snapshot_of(c), reason="外部", created_by=outsider)
    return {"contract": c, "contract_quote": quote(outsider, status=QuoteStatus.ACCEPTED, title="外部报价")}
