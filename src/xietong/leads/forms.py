"""Forms of the lead pages. Plain forms: they parse input; the services validate and write.
Labels, lengths and choices come from the model fields so the page and the database agree."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import XtForm
from xietong.core.validators import validate_mobile
from xietong.customers.choices import Source
from xietong.org.forms import PeopleChoiceField, PersonChoiceField, TeamChoiceField, limit_choices, model_field

from . import services, webforms
from .choices import AssignmentMethod, LeadStatus
from .models import AssignmentRule, Lead, LeadPool, WebForm


class PoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.business_unit.name} · {obj.name}"


def split_tags(value: str) -> list[str]:
    """``展会, 重点`` / ``展会，重点`` / ``展会 重点`` → ``["展会", "重点"]``."""
    text = (value or "").replace("，", ",").replace("、", ",").replace(" ", ",")
    return [t.strip() for t in text.split(",") if t.strip()]


DETAIL_FIELDS = [name for name in services.EDITABLE]


class LeadForm(XtForm):
    """Create and edit. ``owner`` empty on create: the assignment rules decide."""

    business_unit = forms.ModelChoiceField(queryset=Lead.objects.none(), label=_("Business unit"))
    company = model_field(Lead, "company")
    contact_name = model_field(Lead, "contact_name")
    contact_title = model_field(Lead, "contact_title")
    mobile = model_field(Lead, "mobile", widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    phone = model_field(Lead, "phone", widget=forms.TextInput(attrs={"inputmode": "tel"}))
    email = model_field(Lead, "email")
    wechat = model_field(Lead, "wechat")
    province = model_field(Lead, "province")
    city = model_field(Lead, "city")
    district = model_field(Lead, "district")
    address = model_field(Lead, "address")
    industry = model_field(Lead, "industry")
    company_size = model_field(Lead, "company_size")
    source = model_field(Lead, "source")
    campaign = model_field(Lead, "campaign")
    product_interest = model_field(Lead, "product_interest")
    budget = model_field(Lead, "budget")
    tags = forms.CharField(label=_("Tags"), required=False, max_length=400, help_text=_("Separate tags with commas."))
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in (LeadStatus.NEW, LeadStatus.CONTACTING, LeadStatus.QUALIFIED)],
    )
    owner = PersonChoiceField(
        queryset=Lead.objects.none(),
        required=False,
        label=_("Owner"),
        empty_label=_("Assign by the rules"),
        help_text=_("Empty: the business unit's assignment rules choose, else the lead waits in the pool."),
    )
    pool = PoolChoiceField(
        queryset=LeadPool.objects.none(),
        required=False,
        label=_("Lead pool"),
        empty_label=_("The default pool"),
    )
    notes = model_field(Lead, "notes", widget=forms.Textarea(attrs={"rows": 3}))
    duplicate_reason = forms.CharField(
        label=_("Reason to continue"),
        required=False,
        max_length=200,
        help_text=_("Similar records exist. Say why this one is needed anyway."),
    )

    def __init__(
        self,
        *args: Any,
        business_units: QuerySet[Any] | None = None,
        owners: QuerySet[Any] | None = None,
        pools: QuerySet[LeadPool] | None = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("business_unit", "owner", "pool"):
                del self.fields[name]
        else:
            del self.fields["status"]
            assert business_units is not None and owners is not None and pools is not None
            limit_choices(self, business_unit=business_units, owner=owners, pool=pools)
            if business_units.count() == 1:
                self.fields["business_unit"].widget = forms.HiddenInput()
        self.candidates: list[Any] = []

    def show_candidates(self, candidates: list[Any]) -> None:
        self.candidates = candidates

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in DETAIL_FIELDS if name in data}


class LeadFilterForm(XtForm):
    STATUS_CHOICES = [("", _("All statuses")), ("open", _("Open")), *LeadStatus.choices]
    FOLLOW_UP_CHOICES = [
        ("", _("Any follow-up")),
        ("none", _("Never followed up")),
        ("7d", _("No follow-up in 7 days")),
        ("30d", _("No follow-up in 30 days")),
        ("90d", _("No follow-up in 90 days")),
    ]

    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Company, name, mobile or email")}),
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label=_("Status"))
    owner = PersonChoiceField(
        queryset=Lead.objects.none(), required=False, label=_("Owner"), empty_label=_("All owners")
    )
    team = TeamChoiceField(queryset=Lead.objects.none(), required=False, label=_("Team"), empty_label=_("All teams"))
    business_unit = forms.ModelChoiceField(
        queryset=Lead.objects.none(), required=False, label=_("Business unit"), empty_label=_("All business units")
    )
    pool = PoolChoiceField(
        queryset=LeadPool.objects.none(), required=False, label=_("Lead pool"), empty_label=_("All pools")
    )
    source = forms.ChoiceField(choices=[("", _("All sources")), *Source.choices], required=False, label=_("Source"))
    province = forms.CharField(
        required=False, label=_("Province"), widget=forms.TextInput(attrs={"placeholder": _("Province")})
    )
    tag = forms.CharField(required=False, label=_("Tag"), widget=forms.TextInput(attrs={"placeholder": _("Tag")}))
    follow_up = forms.ChoiceField(choices=FOLLOW_UP_CHOICES, required=False, label=_("Last follow-up"))
    created_from = forms.DateField(
        required=False, label=_("Created from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        required=False, label=_("Created until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        owners: QuerySet[Any],
        teams: QuerySet[Any],
        business_units: QuerySet[Any],
        pools: QuerySet[LeadPool],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners, team=teams, business_unit=business_units, pool=pools)

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.lead_list`` (invalid values are ignored, not fatal)."""
        data = self.cleaned_data if self.is_valid() else {}

        def pk(name: str) -> int | None:
            return data[name].pk if data.get(name) else None

        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "owner_id": pk("owner"),
            "team_id": pk("team"),
            "business_unit_id": pk("business_unit"),
            "pool_id": pk("pool"),
            "source": data.get("source") or "",
            "province": (data.get("province") or "").strip(),
            "tag": (data.get("tag") or "").strip(),
            "follow_up": data.get("follow_up") or "",
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
        }


class AssignForm(XtForm):
    owner = PersonChoiceField(queryset=Lead.objects.none(), required=False, label=_("New owner"))
    by_rules = forms.BooleanField(
        required=False, label=_("Let the assignment rules choose someone else"), initial=False
    )

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("by_rules") and not data.get("owner"):
            self.add_error("owner", _("Choose who gets the lead, or let the rules choose."))
        return data


class ReasonForm(XtForm):
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.TextInput())


class ReturnForm(XtForm):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    pool = PoolChoiceField(
        queryset=LeadPool.objects.none(), required=False, label=_("Lead pool"), empty_label=_("The pool it came from")
    )

    def __init__(self, *args: Any, pools: QuerySet[LeadPool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, pool=pools)


NEW_CUSTOMER = "new"


class ConvertForm(XtForm):
    customer = forms.ChoiceField(label=_("Customer"), widget=forms.RadioSelect)
    create_contact = forms.BooleanField(
        label=_("Create a contact from the lead's person"), required=False, initial=True
    )
    duplicate_reason = forms.CharField(
        label=_("Reason to continue"),
        required=False,
        max_length=200,
        help_text=_("Needed when the duplicate check warns about similar customers."),
    )

    create_opportunity = forms.BooleanField(label=_("Also create an opportunity"), required=False, initial=True)
    opportunity_name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)
    opportunity_amount = forms.DecimalField(
        label=_("Opportunity amount"), required=False, min_value=0, max_digits=16, decimal_places=2
    )

    def __init__(self, *args: Any, matches: list[Any], offer_opportunity: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not offer_opportunity:
            for name in ("create_opportunity", "opportunity_name", "opportunity_amount"):
                del self.fields[name]
        choices = [(str(c.pk), f"{c.name} · {'; '.join(str(r) for r in c.reasons)}") for c in matches]
        if not matches:
            # an exact match (same credit code or name) is never created twice: the lead links to it
            choices.append((NEW_CUSTOMER, str(_("Create a new customer"))))
        field = self.fields["customer"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.initial = choices[0][0]

    def customer_id(self) -> int | None:
        value = self.cleaned_data.get("customer")
        return None if value in (None, "", NEW_CUSTOMER) else int(value)

    def options(self) -> dict[str, Any]:
        """What later apps' conversion steps read: the opportunity to create, when asked for."""
        if not self.cleaned_data.get("create_opportunity"):
            return {}
        amount = self.cleaned_data.get("opportunity_amount")
        return {"opportunity": {"name": self.cleaned_data.get("opportunity_name") or "", "amount": amount}}


class BulkForm(XtForm):
    ACTIONS = [("assign", _("Assign or transfer")), ("tag", _("Add tags")), ("return", _("Return to the pool"))]

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], label=_("Leads"))
    action = forms.ChoiceField(choices=ACTIONS, label=_("Action"))
    owner = PersonChoiceField(queryset=Lead.objects.none(), required=False, label=_("New owner"))
    tags = forms.CharField(required=False, label=_("Tags"))
    reason = forms.CharField(required=False, max_length=200, label=_("Reason"))

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners)
        self.fields["ids"].choices = [(v, v) for v in (self.data.getlist("ids") if self.data else [])]  # type: ignore[attr-defined]


# --- configuration --------------------------------------------------------------------------


class PoolForm(XtForm):
    business_unit = forms.ModelChoiceField(queryset=LeadPool.objects.none(), label=_("Business unit"))
    name = model_field(LeadPool, "name")
    description = model_field(LeadPool, "description", widget=forms.Textarea(attrs={"rows": 2}))
    is_default = model_field(LeadPool, "is_default")
    is_active = model_field(LeadPool, "is_active")
    contact_within_hours = model_field(LeadPool, "contact_within_hours")
    timeout_action = model_field(LeadPool, "timeout_action")
    member_teams = forms.ModelMultipleChoiceField(
        queryset=LeadPool.objects.none(), required=False, label=_("Member teams")
    )
    members = PeopleChoiceField(queryset=LeadPool.objects.none(), required=False, label=_("Members"))
    admins = PeopleChoiceField(queryset=LeadPool.objects.none(), required=False, label=_("Administrators"))

    def __init__(
        self,
        *args: Any,
        business_units: QuerySet[Any],
        teams: QuerySet[Any],
        people: QuerySet[Any],
        editing: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["business_unit"]
        else:
            limit_choices(self, business_unit=business_units)
        limit_choices(self, member_teams=teams, members=people, admins=people)


class RuleForm(XtForm):
    business_unit = forms.ModelChoiceField(queryset=LeadPool.objects.none(), label=_("Business unit"))
    name = model_field(AssignmentRule, "name")
    priority = model_field(AssignmentRule, "priority", help_text=_("Rules run from the lowest number up."))
    method = forms.ChoiceField(choices=AssignmentMethod.choices, label=_("Method"))
    values = forms.CharField(
        required=False,
        label=_("Matching values"),
        help_text=_("Provinces, industries or product lines, separated by commas (for those methods)."),
    )
    source_pool = PoolChoiceField(
        queryset=LeadPool.objects.none(), required=False, label=_("Only leads of this pool"), empty_label=_("Any pool")
    )
    team = TeamChoiceField(queryset=LeadPool.objects.none(), required=False, label=_("Team"))
    assignees = PeopleChoiceField(
        queryset=LeadPool.objects.none(),
        required=False,
        label=_("Assignees"),
        help_text=_("Empty: the active members of the team and its sub-teams."),
    )
    fallback_owner = PersonChoiceField(queryset=LeadPool.objects.none(), required=False, label=_("Fallback owner"))
    fallback_pool = PoolChoiceField(queryset=LeadPool.objects.none(), required=False, label=_("Fallback pool"))
    is_active = model_field(AssignmentRule, "is_active")

    def __init__(
        self,
        *args: Any,
        business_units: QuerySet[Any],
        teams: QuerySet[Any],
        people: QuerySet[Any],
        pools: QuerySet[LeadPool],
        editing: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["business_unit"]
        else:
            limit_choices(self, business_unit=business_units)
        limit_choices(self, team=teams, assignees=people, fallback_owner=people, source_pool=pools, fallback_pool=pools)

    def rule_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("business_unit", None)
        data["values"] = split_tags(data.get("values") or "")
        data["assignees"] = list(data.get("assignees") or [])
        return data


class WebFormForm(XtForm):
    business_unit = forms.ModelChoiceField(queryset=LeadPool.objects.none(), label=_("Business unit"))
    name = model_field(WebForm, "name")
    source = model_field(WebForm, "source")
    campaign = model_field(WebForm, "campaign")
    pool = PoolChoiceField(queryset=LeadPool.objects.none(), label=_("Lead pool"))
    per_hour_per_ip = model_field(WebForm, "per_hour_per_ip")
    thank_you = model_field(WebForm, "thank_you")
    is_active = model_field(WebForm, "is_active")

    def __init__(
        self, *args: Any, business_units: QuerySet[Any], pools: QuerySet[LeadPool], editing: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["business_unit"]
        else:
            limit_choices(self, business_unit=business_units)
        limit_choices(self, pool=pools)


# --- the public web form --------------------------------------------------------------------


class PublicLeadForm(XtForm):
    """What a visitor fills in on a web form; ``website`` is the honeypot (hidden from people)."""

    company = model_field(Lead, "company")
    contact_name = model_field(Lead, "contact_name")
    mobile = model_field(
        Lead,
        "mobile",
        validators=[validate_mobile],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = model_field(Lead, "email")
    province = model_field(Lead, "province")
    city = model_field(Lead, "city")
    product_interest = model_field(Lead, "product_interest")
    notes = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    HONEYPOT = webforms.HONEYPOT

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("mobile") and not data.get("email") and not self.errors.get("mobile"):
            self.add_error("mobile", _("Leave a mobile number or an email so that we can reach you."))
        return data
