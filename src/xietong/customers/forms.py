"""Forms of the customer, contact and follow-up pages. Plain forms: they parse input; the services
validate and write. Labels, lengths and choices come from the model fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.forms import DateTimeField, SearchSelect, XtForm
from xietong.core.params import as_int
from xietong.org.forms import PersonChoiceField, TeamChoiceField, model_field
from xietong.org.models import BusinessUnit, Team, User

from .choices import DecisionRole, FollowUpKind, Level, RelationshipStatus
from .models import Contact, Customer, Relationship


def customer_picker() -> SearchSelect:
    """The search box that chooses a customer (new opportunities and contracts, customer prices):
    its name, with its province and city beside it in the list."""
    return SearchSelect("api:list_customers", detail=("province", "city"))


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value: Any) -> Any:
        if hasattr(value, "strftime"):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.strftime("%Y-%m-%dT%H:%M")
        return value


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

# --- the customer list ------------------------------------------------------------------------------

NO_FOLLOW_UP_CHOICES = [
    ("", _("Any last follow-up")),
    ("7", _("No follow-up for 7 days")),
    ("30", _("No follow-up for 30 days")),
    ("60", _("No follow-up for 60 days")),
    ("90", _("No follow-up for 90 days")),
]


class CustomerFilterForm(XtForm):
    SCOPE_CHOICES = [("all", _("All I can see")), ("mine", _("Mine")), ("subordinates", _("Mine and my teams'"))]
    HOLDER_CHOICES = [("owned", _("Owned")), ("pool", _("In a public pool")), ("all", _("Owned and in pools"))]

    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Name, credit code, phone or email")}),
    )
    scope = forms.ChoiceField(choices=SCOPE_CHOICES, required=False, label=_("Whose"))
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        required=False,
        label=_("Business unit"),
        empty_label=_("All business units"),
    )
    team = TeamChoiceField(
        queryset=Team.objects.none(), required=False, label=_("Team"), empty_label=_("All teams"), grouped=False
    )
    level = forms.ChoiceField(choices=[("", _("All levels")), *Level.choices], required=False, label=_("Level"))
    status = forms.ChoiceField(
        choices=[("", _("All statuses")), *RelationshipStatus.choices], required=False, label=_("Status")
    )
    province = forms.CharField(
        required=False, label=_("Region"), widget=forms.TextInput(attrs={"placeholder": _("Province, e.g. 上海")})
    )
    tag = forms.CharField(required=False, label=_("Tag"), widget=forms.TextInput(attrs={"placeholder": _("Tag")}))
    no_follow_up = forms.ChoiceField(choices=NO_FOLLOW_UP_CHOICES, required=False, label=_("Last follow-up"))
    created_from = forms.DateField(required=False, label=_("Created from"), widget=DateInput())
    created_to = forms.DateField(required=False, label=_("Created until"), widget=DateInput())
    holder = forms.ChoiceField(choices=HOLDER_CHOICES, required=False, label=_("Owner or pool"))
    owner = forms.IntegerField(required=False, widget=forms.HiddenInput())

    MORE = ("province", "tag", "no_follow_up", "created_from", "created_to", "holder")

    def __init__(
        self, *args: Any, business_units: QuerySet[BusinessUnit], teams: QuerySet[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = business_units  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name not in ("scope", "holder")) or self.data.get(
            "scope"
        ) not in (None, "", "all")

    def filters(self, user: Any) -> dict[str, Any]:
        """Keyword arguments for ``selectors.relationship_list`` (invalid values are ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out: dict[str, Any] = {
            "q": (data.get("q") or "").strip(),
            "scope": data.get("scope") or "all",
            "holder": data.get("holder") or "owned",
            "business_unit": data.get("business_unit"),
            "team": data.get("team"),
            "level": data.get("level") or "",
            "status": data.get("status") or "",
            "province": (data.get("province") or "").strip(),
            "tag": (data.get("tag") or "").strip(),
            "no_follow_up_days": int(data["no_follow_up"]) if data.get("no_follow_up") else None,
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
        }
        if data.get("owner"):
            from xietong.core.visibility import addressable_people

            out["owner"] = addressable_people(user).filter(pk=data["owner"]).first()
            if out["owner"] is None:
                out["owner"] = User(pk=0)  # a person the user does not see: an empty list
        return out


class BulkForm(XtForm):
    ACTIONS = [("assign", _("Assign or transfer")), ("tag", _("Add tags")), ("release", _("Return to the pool"))]

    action = forms.ChoiceField(choices=ACTIONS, label=_("Action"))
    ids = forms.CharField(widget=forms.HiddenInput())
    owner = PersonChoiceField(queryset=User.objects.none(), required=False, label=_("New owner"))
    tags = forms.CharField(required=False, label=_("Tags"), help_text=_("Separated by commas."))
    reason = forms.CharField(required=False, max_length=200, label=_("Reason"))

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data.get("ids") or ""
        ids = [i for i in (as_int(p, None) for p in raw.replace(",", " ").split()) if i is not None]
        if not ids:
            raise forms.ValidationError(_("Select at least one customer."))
        return ids


# --- customers ---------------------------------------------------------------------------------------

CARD_FIELDS = (
    "name",
    "short_name",
    "kind",
    "credit_code",
    "industry",
    "size",
    "source",
    "province",
    "city",
    "district",
    "address",
    "website",
)


class CustomerForm(XtForm):
    """The common card; on create also the business unit and a first contact."""

    def __init__(
        self,
        *args: Any,
        business_units: QuerySet[BusinessUnit] | None = None,
        with_contact: bool = False,
        with_reason: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if business_units is not None:
            self.fields["business_unit"] = forms.ModelChoiceField(
                queryset=business_units, label=_("Business unit"), empty_label=None
            )
        for name in CARD_FIELDS:
            self.fields[name] = model_field(Customer, name)
        self.fields["credit_code"].widget.attrs.update({"maxlength": 24, "autocomplete": "off"})
        self.fields["credit_code"].validators = []  # the service normalises (spaces, lower case), then checks
        self.fields["tags"] = forms.CharField(
            required=False, label=_("Tags"), max_length=500, help_text=_("Separated by commas.")
        )
        self.fields["notes"] = model_field(Customer, "notes", widget=forms.Textarea(attrs={"rows": 3}))
        if with_contact:
            self.fields["contact_name"] = forms.CharField(
                required=False, max_length=50, label=_("Contact"), help_text=_("Optional: the first contact.")
            )
            self.fields["contact_title"] = model_field(Contact, "title")
            self.fields["contact_mobile"] = forms.CharField(required=False, max_length=20, label=_("Mobile"))
            self.fields["contact_email"] = forms.EmailField(required=False, label=_("Email"))
        if with_reason:
            self.fields["duplicate_reason"] = forms.CharField(
                required=True,
                max_length=200,
                label=_("Why is this not a duplicate?"),
                help_text=_("Similar customers exist. Give a reason to create it anyway; it is recorded."),
            )

    def card(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data.get(name) or "" for name in (*CARD_FIELDS, "tags", "notes")}

    def contacts(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if not data.get("contact_name"):
            return []
        return [
            {
                "name": data["contact_name"],
                "title": data.get("contact_title") or "",
                "mobile": data.get("contact_mobile") or "",
                "email": data.get("contact_email") or "",
                "is_primary": True,
            }
        ]


CONTACT_ERRORS = {
    "contacts.0.name": "contact_name",
    "contacts.0.mobile": "contact_mobile",
    "contacts.0.email": "contact_email",
    "contacts.0.title": "contact_title",
}


class RelationshipForm(XtForm):
    def __init__(self, *args: Any, owners: QuerySet[User] | None = None, in_pool: bool = False, **kwargs: Any) -> None:
        """``owners``: managers choose the owner among them. A relationship in a public pool (``in_pool``)
        offers "nobody" first, so that saving its level does not hand it to the first person listed."""
        super().__init__(*args, **kwargs)
        self.fields["level"] = model_field(Relationship, "level")
        self.fields["status"] = model_field(Relationship, "status")
        if owners is not None:
            nobody = _("Nobody: it stays in the public pool") if in_pool else None
            self.fields["owner"] = PersonChoiceField(
                queryset=owners, label=_("Owner"), empty_label=nobody, required=False
            )
            self.fields["protected_until"] = forms.DateField(
                required=False, label=_("Protected until"), widget=DateInput()
            )
            self.fields["reason"] = forms.CharField(required=False, max_length=200, label=_("Reason for a transfer"))


# --- contacts ----------------------------------------------------------------------------------------

CONTACT_FORM_FIELDS = (
    "name",
    "title",
    "department",
    "decision_role",
    "is_primary",
    "mobile",
    "phone",
    "email",
    "wechat",
)


class ContactForm(XtForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CONTACT_FORM_FIELDS:
            self.fields[name] = model_field(Contact, name)
        self.fields["mobile"].validators = []  # normalised by the service (+86, spaces), then checked
        self.fields["phone"].validators = []
        self.fields["notes"] = model_field(Contact, "notes", widget=forms.Textarea(attrs={"rows": 3}))

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data.get(name) if name == "is_primary" else (data.get(name) or "")
            for name in (*CONTACT_FORM_FIELDS, "notes")
        }


class ContactFilterForm(XtForm):
    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Name, customer, phone or email")}),
    )
    decision_role = forms.ChoiceField(
        choices=[("", _("Every role in the decision")), *DecisionRole.choices],
        required=False,
        label=_("Role in the decision"),
    )
    primary = forms.BooleanField(required=False, label=_("Primary contacts only"))
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


# --- follow-ups ---------------------------------------------------------------------------------------


class FollowUpForm(XtForm):
    kind = forms.ChoiceField(choices=FollowUpKind.choices, label=_("Type"), initial=FollowUpKind.CALL)
    content = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)
    outcome = forms.CharField(required=False, max_length=200, label=_("Outcome"))
    occurred_at = DateTimeField(
        required=False,
        label=pgettext_lazy("follow-up", "When"),
        input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
        help_text=_("Empty: now."),
    )
    next_at = DateTimeField(
        required=False,
        label=_("Next follow-up"),
        input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
        help_text=_("A reminder in My day and the calendar."),
    )
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput(attrs={"data-xt-geo": "latitude"}))
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput(attrs={"data-xt-geo": "longitude"}))
    accuracy = forms.FloatField(required=False, widget=forms.HiddenInput(attrs={"data-xt-geo": "accuracy"}))
    address = forms.CharField(required=False, max_length=200, label=_("Where"))

    def __init__(self, *args: Any, check_in: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.check_in = check_in
        if check_in:
            self.fields["kind"].initial = FollowUpKind.VISIT
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["kind"].required = False
            self.fields["occurred_at"].widget = forms.HiddenInput()
        else:
            del self.fields["address"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.check_in and (data.get("latitude") is None or data.get("longitude") is None):
            self.add_error(None, _("The location is missing: press “Check in” and allow the browser to share it."))
        return data

    def service_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        args: dict[str, Any] = {
            "kind": FollowUpKind.VISIT if self.check_in else data["kind"],
            "content": data["content"],
            "outcome": data.get("outcome") or "",
            "occurred_at": None if self.check_in else data.get("occurred_at"),
            "next_at": data.get("next_at"),
        }
        if self.check_in:
            args["check_in"] = {
                "latitude": data["latitude"],
                "longitude": data["longitude"],
                "accuracy": data.get("accuracy"),
                "address": data.get("address") or "",
            }
        return args


class ForgottenForm(XtForm):
    days = forms.IntegerField(
        min_value=1, max_value=3650, initial=30, required=False, label=_("No follow-up for (days)")
    )
    scope = forms.ChoiceField(
        choices=[("mine", _("Mine")), ("subordinates", _("Mine and my teams'")), ("all", _("All I can see"))],
        required=False,
        label=_("Whose"),
    )
