"""People for the duplicates tests: reps, a BU head and their managers in the ``org`` fixture."""

from __future__ import annotations

from typing import Any

from tests.support.crm import ContactFactory, CustomerFactory, LeadFactory, RelationshipFactory
from tests.support.factories import ALL_ACTIONS, UserFactory, grant, make_role, manage
from xietong.core.choices import DataScope
from xietong.customers import matching
from xietong.leads.models import Lead


def rep(org: dict[str, Any], username: str, team: str = "pudong", name: str = "") -> Any:
    user = UserFactory(username=username, display_name=name or username, primary_team=org[team])
    grant(
        user,
        make_role(
            "dup-rep",
            {
                "customers": (DataScope.SELF, {"view", "create", "edit"}),
                "leads": (DataScope.SELF, {"view", "create", "edit"}),
            },
        ),
    )
    return user


def bu_head(org: dict[str, Any], username: str, bu: str = "bu1", team: str = "east") -> Any:
    user = UserFactory(username=username, display_name=username, primary_team=org[team])
    role = make_role(
        "dup-head",
        {"customers": (DataScope.BUSINESS_UNIT, ALL_ACTIONS), "leads": (DataScope.BUSINESS_UNIT, ALL_ACTIONS)},
    )
    grant(user, role, org[bu])
    return user


def manager_of(org: dict[str, Any], username: str, team: str) -> Any:
    user = UserFactory(username=username, display_name=username, primary_team=org[team])
    manage(user, org[team])
    return user


def customer(name: str, owner: Any = None, *, pool: Any = None, index: bool = True, **fields: Any) -> Any:
    """A customer (indexed for fuzzy matching, as the services do), with a relationship when ``owner``
    or ``pool`` is given."""
    made = CustomerFactory(name=name, **fields)
    if index:
        matching.index_names(target="customer", names=[(made.pk, made.name_key)])
    if owner is not None or pool is not None:
        RelationshipFactory(customer=made, owner=owner, pool=pool)
    return made


def lead(company: str, owner: Any, **fields: Any) -> Lead:
    made = LeadFactory(company=company, owner=owner, **fields)
    matching.index_names(target="lead", names=[(made.pk, made.company_key)])
    return made


def contact(customer_obj: Any, **fields: Any) -> Any:
    return ContactFactory(customer=customer_obj, **fields)
