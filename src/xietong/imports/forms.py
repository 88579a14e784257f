"""The import wizard's forms: the upload, then the mapping and the options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import XtForm

from .fields import target_spec
from .models import DuplicateMode, ImportTarget


class UploadForm(XtForm):
    target = forms.ChoiceField(label=_("import into"), choices=ImportTarget.choices)
    business_unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("business unit"), queryset=None, empty_label=None
    )
    price_book: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("price book"), queryset=None, empty_label=None
    )
    file = forms.FileField(
        label=_("file"),
        help_text=_("CSV (UTF-8 or GBK), XLSX or XLS; the first row holds the column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm,.xls,.ods"}),
    )

    def __init__(self, *args: Any, business_units: list[Any], price_books: Any = None, **kwargs: Any) -> None:
        """``price_books`` (price book prices): the books to choose from, in place of the business unit."""
        super().__init__(*args, **kwargs)
        from xietong.org.models import BusinessUnit

        if price_books is not None:
            del self.fields["business_unit"]
            self.fields["price_book"].queryset = price_books  # type: ignore[attr-defined]
            return
        del self.fields["price_book"]
        field = self.fields["business_unit"]
        field.queryset = BusinessUnit.objects.filter(pk__in=[bu.pk for bu in business_units]).order_by("code")  # type: ignore[attr-defined]


class MappingForm(XtForm):
    """One select per column of the file (the field it goes into, or nothing), then the options."""

    duplicate_mode = forms.ChoiceField(
        label=_("when a row matches an existing record"),
        choices=DuplicateMode.choices,
        widget=forms.RadioSelect,
        initial=DuplicateMode.SKIP,
    )
    dry_run = forms.BooleanField(label=_("dry run (check only, write nothing)"), required=False)
    save_mapping_as = forms.CharField(
        label=_("save this mapping as"),
        required=False,
        max_length=60,
        help_text=_("Offered again for files with the same columns."),
    )

    def __init__(self, *args: Any, target: str, headers: list[str], mapping: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spec = target_spec(target)
        choices = [
            ("", _("— do not import —")),
            *((f.name, f"{f.label}{' *' if f.required else ''}") for f in spec.fields),
        ]
        self.headers = headers
        self.column_names: list[tuple[str, str]] = []
        for index, header in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=mapping.get(header, "")
            )
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
            self.column_names.append((name, header))
        order = [name for name, _h in self.column_names] + ["duplicate_mode", "dry_run", "save_mapping_as"]
        self.order_fields(order)

    def column_fields(self) -> list[Any]:
        return [self[name] for name, _h in self.column_names]

    def option_fields(self) -> list[Any]:
        return [self["duplicate_mode"], self["dry_run"], self["save_mapping_as"]]

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data[name] for name, header in self.column_names if self.cleaned_data.get(name)}
