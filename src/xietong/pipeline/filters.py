"""The filter form of the board and the list (and their exports): whose (all / mine / my team's),
owner, team, business unit, close month, amount range, product line, a search; the list adds the
status. ``form.filters(user)`` gives the keyword arguments of ``selectors.opportunity_list`` /
``selectors.board``; invalid values are ignored (a filter never answers with an error page).
``AnalysisFilterForm`` is the smaller form of the pipeline analysis (period, whose, team, owner)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.forms import MonthField, XtForm
from xietong.org import selectors as org_selectors
from xietong.org.forms import PersonChoiceField, TeamChoiceField

from . import selectors

SCOPE_CHOICES = [("all", _("All")), ("mine", _("My pipeline")), ("team", _("My team's pipeline"))]
STATUS_CHOICES = [
    ("open", pgettext_lazy("opportunities", "Open")),
    ("won", _("Won")),
    ("lost", pgettext_lazy("opportunity", "Lost")),
    ("closed", _("Won or lost")),
    ("all", _("All statuses")),
]


class OpportunityFilterForm(XtForm):
    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Opportunity or customer")}),
    )
    scope = forms.ChoiceField(choices=SCOPE_CHOICES, required=False, label=_("Whose"), widget=forms.HiddenInput())
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label=_("Status"))
    close_month = MonthField(required=False, label=_("Expected close month"))
    business_unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Business unit"), empty_label=_("All business units")
    )
    team = TeamChoiceField(queryset=None, required=False, label=_("Team"), empty_label=_("All teams"), grouped=False)
    owner = PersonChoiceField(queryset=None, required=False, label=_("Owner"), empty_label=_("All owners"))
    amount_min = forms.DecimalField(
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=16,
        label=_("Amount from"),
        widget=forms.NumberInput(attrs={"placeholder": _("Amount from"), "step": "0.01", "min": "0"}),
    )
    amount_max = forms.DecimalField(
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=16,
        label=_("Amount up to"),
        widget=forms.NumberInput(attrs={"placeholder": _("Amount up to"), "step": "0.01", "min": "0"}),
    )
    product_line = forms.ChoiceField(required=False, label=_("Product line"))
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput())

    MORE = ("business_unit", "team", "owner", "amount_min", "amount_max", "product_line")
    FILTERS = ("q", "status", "close_month", *MORE)  # what counts as "filtered" (the scope is a tab)

    def __init__(self, data: Any, *, user: Any, with_status: bool = True) -> None:
        super().__init__(data)
        self.fields["business_unit"].queryset = org_selectors.business_unit_choices(user=user)  # type: ignore[attr-defined]
        self.fields["team"].queryset = org_selectors.team_choices(user=user)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = _owners(user)  # type: ignore[attr-defined]
        lines = [(line, line) for line in selectors.product_line_choices(user)]
        self.fields["product_line"].choices = [("", _("All product lines")), *lines]  # type: ignore[attr-defined]
        if not with_status:
            del self.fields["status"]

    @property
    def scope_value(self) -> str:
        value = self.data.get("scope") or "all"
        return value if value in selectors.SCOPES else "all"

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.FILTERS if name in self.fields)

    def more_open(self) -> bool:
        return any(self.data.get(name) for name in self.MORE)

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.opportunity_list`` / ``board`` (invalid values ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out: dict[str, Any] = {
            "q": (data.get("q") or "").strip(),
            "scope": self.scope_value,
            "owner": data.get("owner"),
            "team": data.get("team"),
            "business_unit": data.get("business_unit"),
            "close_month": data.get("close_month"),
            "amount_min": data.get("amount_min"),
            "amount_max": data.get("amount_max"),
            "product_line": data.get("product_line") or "",
        }
        if "status" in self.fields:
            status = data.get("status") or "open"
            out["status"] = status if status in selectors.STATUSES else "open"
        if data.get("customer"):
            out["customer"] = data["customer"]
        if self.data.get("owner") and out["owner"] is None:  # a person the user does not see: nothing
            out["owner"] = 0
        return out


def _owners(user: Any) -> QuerySet[Any]:
    people: Any = get_user_model()._default_manager
    return people.visible_to(user).filter(is_active=True).order_by("display_name", "username")


class DateInput(forms.DateInput):
    input_type = "date"


class AnalysisFilterForm(XtForm):
    """The filters of the pipeline analysis (``views/analytics.py``): the period in which the deals
    were created, whose (a tab, as on the board), team and owner. The process is chosen apart (a
    process the user does not see answers 404). Like the board's filters, invalid values are
    ignored; an invalid period falls back to the default one (``analytics.analysis_period``)."""

    date_from = forms.DateField(required=False, label=_("Created from"), widget=DateInput(format="%Y-%m-%d"))
    date_to = forms.DateField(required=False, label=_("Created up to"), widget=DateInput(format="%Y-%m-%d"))
    scope = forms.ChoiceField(choices=SCOPE_CHOICES, required=False, label=_("Whose"), widget=forms.HiddenInput())
    team = TeamChoiceField(queryset=None, required=False, label=_("Team"), empty_label=_("All teams"), grouped=False)
    owner = PersonChoiceField(queryset=None, required=False, label=_("Owner"), empty_label=_("All owners"))

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data)
        self.fields["team"].queryset = org_selectors.team_choices(user=user)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = _owners(user)  # type: ignore[attr-defined]

    @property
    def scope_value(self) -> str:
        value = self.data.get("scope") or "all"
        return value if value in selectors.SCOPES else "all"

    def period(self) -> tuple[date | None, date | None]:
        """The dates given (None: not given, or not a date)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("date_from"), data.get("date_to")

    def filters(self) -> dict[str, Any]:
        """``scope``, ``owner`` and ``team`` for ``analytics.pipeline_analysis``."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        owner = data.get("owner")
        if self.data.get("owner") and owner is None:  # a person the user does not see: nothing
            owner = 0
        return {"scope": self.scope_value, "owner": owner, "team": data.get("team")}
