"""This area's part of the permission matrix (tests/test_permission_matrix.py): its routes with an
id, the routes with an id that address no scoped record (and why), and its foreign records."""

from __future__ import annotations

from typing import Any

from tests.support.crm import LeadFactory, LeadPoolFactory
from tests.support.factories import UserFactory
from tests.support.matrix import Route
from xietong.leads.choices import AssignmentMethod
from xietong.leads.models import AssignmentRule, WebForm

ROUTES: list[Route] = [
    # pages
    Route("GET", "/leads/{pk}/", "lead"),
    Route("GET", "/leads/{pk}/edit/", "lead"),
    Route("POST", "/leads/{pk}/edit/", "lead", {"contact_name": "改", "source": "web", "status": "new"}),
    Route("GET", "/leads/{pk}/assign/", "lead"),
    Route("POST", "/leads/{pk}/assign/", "lead", {"by_rules": "on"}),
    Route("POST", "/leads/{pk}/claim/", "pool_lead", {}),
    Route("GET", "/leads/{pk}/return/", "lead"),
    Route("POST", "/leads/{pk}/return/", "lead", {"reason": "x"}),
    Route("GET", "/leads/{pk}/invalid/", "lead"),
    Route("POST", "/leads/{pk}/invalid/", "lead", {"reason": "x"}),
    Route("GET", "/leads/{pk}/convert/", "lead"),
    Route("POST", "/leads/{pk}/convert/", "lead", {"customer": "new", "create_contact": "on"}),
    Route("GET", "/leads/{pk}/history/", "lead"),
    Route("GET", "/leads/{pk}/why/", "lead"),
    Route("GET", "/leads/settings/pools/{pk}/edit/", "lead_pool"),
    Route("POST", "/leads/settings/pools/{pk}/edit/", "lead_pool", {"name": "改", "timeout_action": "remind"}),
    Route("GET", "/leads/settings/rules/{pk}/edit/", "assignment_rule"),
    Route("POST", "/leads/settings/rules/{pk}/edit/", "assignment_rule", {"name": "改", "method": "round_robin"}),
    Route("POST", "/leads/settings/rules/{pk}/delete/", "assignment_rule", {}),
    Route("GET", "/leads/settings/forms/{pk}/edit/", "web_form"),
    Route("POST", "/leads/settings/forms/{pk}/edit/", "web_form", {"name": "改"}),
    # API
    Route("GET", "/api/v1/leads/{pk}", "lead", api=True),
    Route("PATCH", "/api/v1/leads/{pk}", "lead", {"contact_name": "改"}, api=True),
    Route("POST", "/api/v1/leads/{pk}/assign", "lead", {"by_rules": True}, api=True),
    Route("POST", "/api/v1/leads/{pk}/claim", "pool_lead", {}, api=True),
    Route("POST", "/api/v1/leads/{pk}/return", "lead", {"reason": "x"}, api=True),
    Route("POST", "/api/v1/leads/{pk}/invalid", "lead", {"reason": "x"}, api=True),
    Route("POST", "/api/v1/leads/{pk}/convert", "lead", {}, api=True),
    Route("GET", "/api/v1/lead-pools/{pk}", "lead_pool", api=True),
]

NOT_SCOPED: dict[str, str] = {
    "forms/*/": "the public web-to-lead form: addressed by its secret token, no login (tests/leads/test_webforms.py)",
}


def foreign(org: dict[str, Any], outsider: Any) -> dict[str, Any]:
    """Records of this area owned in BU2 by ``outsider`` (or another BU2 user): name → record."""
    bu2 = org["bu2"]
    pool = LeadPoolFactory(business_unit=bu2, name="华北线索池")
    pool.member_teams.add(org["north"])
    colleague = UserFactory(username="north_rep", display_name="华北同事", primary_team=org["north"])
    rule = AssignmentRule.objects.create(
        business_unit=bu2, name="华北轮流", method=AssignmentMethod.ROUND_ROBIN, team=org["north"]
    )
    rule.assignees.add(colleague)
    return {
        "lead": LeadFactory(owner=outsider, company="外部线索公司", contact_name="外人线索"),
        "pool_lead": LeadFactory(pool=pool, company="外部池中线索", contact_name="池中人"),
        "lead_pool": pool,
        "assignment_rule": rule,
        "web_form": WebForm.objects.create(business_unit=bu2, name="华北官网表单", pool=pool),
    }
