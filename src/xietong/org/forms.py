"""Forms of the organisation pages. Plain forms: they parse input; services validate and write.

Labels, lengths and choices come from the model fields so the page and the database agree.
"""

from __future__ import annotations

import datetime
from itertools import groupby
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core import modules
from xietong.core.choices import Action, DataScope
from xietong.core.forms import XtForm, XtFormMixin
from xietong.core.models import AuditEntry

from .models import ACTION_FIELDS, AccessToken, BusinessUnit, Group, Role, Team, User


def model_field(model: type[Model], name: str, **kwargs: Any) -> forms.Field:
    field = model._meta.get_field(name).formfield(**kwargs)  # type: ignore[union-attr]
    assert field is not None
    return field


def limit_choices(form: forms.BaseForm, **querysets: QuerySet[Any]) -> None:
    """Give the form's model choice fields the querysets the view chose (visibility applied)."""
    for name, queryset in querysets.items():
        field = form.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset


# --- pickers ----------------------------------------------------------------------------------


class TeamChoiceIterator(forms.models.ModelChoiceIterator):
    """Teams grouped by business unit (``<optgroup>``), indented by depth in tree order."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for bu, teams in groupby(self.queryset, key=lambda t: t.business_unit):
            yield (str(bu), [self.choice(t) for t in teams])


IDEOGRAPHIC_SPACE = "\u3000"


def team_label(team: Team) -> str:
    """The name indented by its depth in the tree (top teams have depth 0)."""
    indent = IDEOGRAPHIC_SPACE * team.depth  # not collapsed by browsers, unlike ASCII spaces
    return f"{indent}{'└ ' if team.depth else ''}{team.name}"


class _TeamPicker:
    """Teams labelled with ``team_label``. ``grouped`` (the default) puts them under their business unit:
    the queryset must then be in tree order with each team's business unit selected; the teams of one
    business unit pass ``grouped=False``."""

    iterator: Any

    def __init__(self, *args: Any, grouped: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if grouped:
            self.iterator = TeamChoiceIterator

    def label_from_instance(self, obj: Any) -> str:
        return team_label(obj)


class TeamChoiceField(_TeamPicker, forms.ModelChoiceField):
    """One team, indented by its depth in the tree."""


class TeamMultipleChoiceField(_TeamPicker, forms.ModelMultipleChoiceField):
    """Several teams, as ``TeamChoiceField``."""


def person_label(user: User) -> str:
    """A person in a picker: the display name, then the username, which tells apart the two 王伟 that
    a company of any size has."""
    return f"{user.display_name or user.username} ({user.username})"


class PersonChoiceField(forms.ModelChoiceField):
    """One person (``邓倩 (deng.qian)``); the view gives the queryset it may offer."""

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """Several people, labelled as ``PersonChoiceField``."""

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


# --- accounts ---------------------------------------------------------------------------------


class LoginForm(XtFormMixin, AuthenticationForm):
    pass


class PasswordForm(XtFormMixin, PasswordChangeForm):
    pass


class ProfileForm(XtForm):
    display_name = model_field(User, "display_name")
    email = model_field(User, "email")
    mobile = model_field(User, "mobile")
    title = model_field(User, "title")
    language = model_field(User, "language")
    email_notifications = model_field(
        User,
        "email_notifications",
        required=False,  # left out of a post: unchanged
        help_text=_(
            "Immediately: one e-mail per notification. Daily digest: one e-mail a day with what you have not read."
        ),
    )

    def clean_email_notifications(self) -> str:
        return self.cleaned_data.get("email_notifications") or self.initial.get("email_notifications", "")


class TokenForm(XtForm):
    name = model_field(AccessToken, "name", help_text=_("What the token is for, e.g. “ERP sync”."))
    expires_at = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token that does not expire."),
    )

    def clean_expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


# --- group, business units, teams -------------------------------------------------------------


class GroupForm(XtForm):
    name = model_field(Group, "name")
    short_name = model_field(Group, "short_name")
    credit_code = model_field(Group, "credit_code")


class BusinessUnitForm(XtForm):
    code = model_field(BusinessUnit, "code")
    name = model_field(BusinessUnit, "name")
    description = model_field(BusinessUnit, "description", widget=forms.Textarea(attrs={"rows": 3}))
    product_lines = model_field(BusinessUnit, "product_lines")


class TeamCreateForm(XtForm):
    business_unit = forms.ModelChoiceField(queryset=BusinessUnit.objects.none(), label=_("Business unit"))
    parent = TeamChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label=_("Parent team"),
        empty_label=_("(top level of the business unit)"),
    )
    name = model_field(Team, "name")
    team_type = model_field(Team, "team_type")

    def __init__(
        self, *args: Any, business_units: QuerySet[BusinessUnit], teams: QuerySet[Team], refresh_url: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, business_unit=business_units, parent=teams)
        # Choosing the business unit reloads the form (what was typed included) with its teams as parents.
        self.fields["business_unit"].widget.attrs.update(
            {
                "hx-get": refresh_url,
                "hx-target": "closest form",
                "hx-swap": "outerHTML",
                "hx-include": "closest form",
                "hx-params": "not csrfmiddlewaretoken",
            }
        )


class TeamEditForm(XtForm):
    name = model_field(Team, "name")
    team_type = model_field(Team, "team_type")


class TeamMoveForm(XtForm):
    parent = TeamChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label=_("New parent team"),
        empty_label=_("(top level of the business unit)"),
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, parent=teams)


class TeamManagersForm(XtForm):
    managers = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Managers"),
        help_text=_("Managers see what their team and its sub-teams own, as far as their roles allow."),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, managers=users)


# --- users ------------------------------------------------------------------------------------


class UserCreateForm(XtForm):
    username = model_field(User, "username", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    display_name = model_field(User, "display_name")
    primary_team = TeamChoiceField(
        queryset=Team.objects.none(), required=False, label=_("Team"), empty_label=_("(no team)")
    )
    email = model_field(User, "email")
    mobile = model_field(User, "mobile")
    title = model_field(User, "title")
    language = model_field(User, "language")
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once after saving."),
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, primary_team=teams)


class UserEditForm(XtForm):
    username = model_field(User, "username")
    display_name = model_field(User, "display_name")
    email = model_field(User, "email")
    mobile = model_field(User, "mobile")
    title = model_field(User, "title")
    language = model_field(User, "language")


class UserMoveForm(XtForm):
    team = TeamChoiceField(queryset=Team.objects.none(), label=_("New primary team"))

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, team=teams)


class UserTeamsForm(XtForm):
    teams = TeamMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label=_("Also a member of"),
        help_text=_("The primary team always stays."),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, teams=teams)


class PasswordResetForm(XtForm):
    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once."),
    )


class RoleAssignForm(XtForm):
    role = forms.ModelChoiceField(queryset=Role.objects.none(), label=_("Role"))
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        required=False,
        label=_("Limited to business unit"),
        empty_label=_("(the whole group)"),
    )

    def __init__(
        self, *args: Any, roles: QuerySet[Role], business_units: QuerySet[BusinessUnit], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, role=roles, business_unit=business_units)


# --- roles: the permission matrix -------------------------------------------------------------


class RoleForm(XtForm):
    """Name and description, plus per module one checkbox per action and a data scope."""

    code = model_field(Role, "code")
    name = model_field(Role, "name")
    description = model_field(Role, "description", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        initial = kwargs.pop("initial", None) or {}
        self.modules = modules.all_modules()
        if role is not None:
            initial.update({"name": role.name, "description": role.description})
            for perm in role.permissions.all():
                initial[f"scope__{perm.module}"] = perm.scope
                for action in perm.actions():
                    initial[f"perm__{perm.module}__{action}"] = True
        super().__init__(*args, initial=initial, **kwargs)
        if role is not None:
            del self.fields["code"]
        for module in self.modules:
            for action in module.actions:
                label = f"{module.label} · {Action(action).label}"
                checkbox = forms.CheckboxInput(attrs={"class": "form-check-input", "aria-label": label})
                self.fields[f"perm__{module.code}__{action}"] = forms.BooleanField(
                    required=False, label=label, widget=checkbox
                )
            if module.scoped:
                self.fields[f"scope__{module.code}"] = forms.TypedChoiceField(
                    choices=DataScope.choices,
                    coerce=int,
                    initial=DataScope.SELF,
                    required=False,  # a module with no action checked needs no scope (permissions())
                    label=_("Data scope of %(module)s") % {"module": module.label},
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )

    def matrix(self) -> list[dict[str, Any]]:
        """Rows for the template: the module, its scope field, per action (label, field or None)."""
        rows = []
        for module in self.modules:
            cells = [
                (Action(a).label, self[f"perm__{module.code}__{a}"] if a in module.actions else None)
                for a in ACTION_FIELDS
            ]
            scope = self[f"scope__{module.code}"] if module.scoped else None
            rows.append({"module": module, "cells": cells, "scope": scope})
        return rows

    def header_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("code", "name", "description") if name in self.fields]

    def permissions(self) -> dict[str, tuple[int, set[str]]]:
        """The PermissionSpec of the checked boxes (modules with no action checked are left out)."""
        spec: dict[str, tuple[int, set[str]]] = {}
        for module in self.modules:
            actions = {a for a in module.actions if self.cleaned_data.get(f"perm__{module.code}__{a}")}
            if actions:
                scope = self.cleaned_data.get(f"scope__{module.code}") if module.scoped else DataScope.GROUP
                spec[module.code] = (int(scope or DataScope.SELF), actions)
        return spec


# --- filters ----------------------------------------------------------------------------------


class UserFilterForm(XtForm):
    STATUS_CHOICES = [("active", _("Active")), ("inactive", _("Inactive")), ("all", _("All"))]

    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Name, username, mobile or email")}),
    )
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        required=False,
        label=_("Business unit"),
        empty_label=_("All business units"),
    )
    team = TeamChoiceField(queryset=Team.objects.none(), required=False, label=_("Team"), empty_label=_("All teams"))
    role = forms.ModelChoiceField(
        queryset=Role.objects.none(), required=False, label=_("Role"), empty_label=_("All roles")
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label=_("Status"))

    def __init__(
        self,
        *args: Any,
        business_units: QuerySet[BusinessUnit],
        teams: QuerySet[Team],
        roles: QuerySet[Role],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, business_unit=business_units, team=teams, role=roles)

    def is_filtered(self) -> bool:
        """Whether anything narrows the list beyond the default (active users)."""
        return any(self.data.get(k) for k in ("q", "business_unit", "team", "role")) or self.data.get("status") not in (
            None,
            "",
            "active",
        )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.user_list`` (invalid values are ignored, not fatal)."""
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status") or "active"
        return {
            "q": (data.get("q") or "").strip(),
            "business_unit_id": data["business_unit"].pk if data.get("business_unit") else None,
            "team_id": data["team"].pk if data.get("team") else None,
            "role_id": data["role"].pk if data.get("role") else None,
            "is_active": {"active": True, "inactive": False}.get(status),
        }


class AuditFilterForm(XtForm):
    kind = forms.ChoiceField(choices=[("", _("All kinds")), *AuditEntry.Kind.choices], required=False, label=_("Kind"))
    actor = PersonChoiceField(queryset=User.objects.none(), required=False, label=_("By"), empty_label=_("Anyone"))

    def __init__(self, *args: Any, actors: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, actor=actors)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {"kind": data.get("kind") or "", "actor_id": data["actor"].pk if data.get("actor") else None}
