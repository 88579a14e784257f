"""Forms of the catalogue pages. Plain forms: they parse input; the services validate and write.
Labels, lengths and choices come from the model fields so the page and the database agree. Choices
(categories, BUs, product lines) are given by the view from the selectors (visibility applied)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import SearchSelect, XtForm
from xietong.core.params import as_int
from xietong.org.forms import model_field
from xietong.org.models import BusinessUnit

from . import services
from .choices import ProductStatus
from .models import Product, ProductCategory
from .selectors import GROUP

DECIMAL = {"inputmode": "decimal"}


def _category(value: Any) -> ProductCategory | None:
    return ProductCategory.objects.filter(pk=as_int(value, 0)).first()


def product_picker() -> SearchSelect:
    """The search box that chooses a product on sale (lines of opportunities, quotes and contracts,
    price-book rows): "name (code)", its specification beside it in the list."""
    return SearchSelect(
        "api:list_products", params={"status": ProductStatus.ACTIVE}, label=("name", "code"), detail=("specification",)
    )


class ProductFilterForm(XtForm):
    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Name, code or specification")}),
    )
    category = forms.ChoiceField(required=False, label=_("Category"))
    business_unit = forms.ChoiceField(required=False, label=_("Business unit"))
    product_line = forms.ChoiceField(required=False, label=_("Product line"))
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("All statuses")), *ProductStatus.choices]
    )

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[int, str]],
        business_units: QuerySet[BusinessUnit],
        product_lines: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *categories]  # type: ignore[attr-defined]
        self.fields["business_unit"].choices = [  # type: ignore[attr-defined]
            ("", _("All business units")),
            (GROUP, _("The whole group")),
            *((str(bu.pk), bu.name) for bu in business_units),
        ]
        self.fields["product_line"].choices = [  # type: ignore[attr-defined]
            ("", _("All product lines")),
            *((line, line) for line in product_lines),
        ]

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.product_list`` (invalid values are ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        business_unit = data.get("business_unit") or None
        return {
            "q": (data.get("q") or "").strip(),
            "category": int(data["category"]) if data.get("category") else None,
            "business_unit": business_unit if business_unit == GROUP or business_unit is None else int(business_unit),
            "product_line": data.get("product_line") or "",
            "status": data.get("status") or "",
        }


class ProductForm(XtForm):
    """Create and edit. ``business_unit`` offers the BUs the user's catalogue scope covers, and "the
    whole group" only to those with the group scope."""

    code = model_field(Product, "code")
    name = model_field(Product, "name")
    specification = model_field(Product, "specification")
    unit = model_field(Product, "unit")
    list_price = model_field(
        Product, "list_price", min_value=0, widget=forms.NumberInput(attrs={**DECIMAL, "step": "0.01"})
    )
    cost = model_field(
        Product,
        "cost",
        min_value=0,
        widget=forms.NumberInput(attrs={**DECIMAL, "step": "0.01"}),
        help_text=_("Seen only by people who may edit the product."),
    )
    tax_rate = model_field(
        Product, "tax_rate", min_value=0, max_value=100, widget=forms.NumberInput(attrs={**DECIMAL, "step": "0.01"})
    )
    product_line = model_field(Product, "product_line", widget=forms.TextInput(attrs={"list": "xt-product-lines"}))
    category = forms.ChoiceField(required=False, label=_("Category"))
    business_unit = forms.ChoiceField(
        label=_("Business unit"), help_text=_("A product of the whole group is sold by every business unit.")
    )
    status = model_field(Product, "status")
    description = model_field(Product, "description", widget=forms.Textarea(attrs={"rows": 3}))
    image = forms.ImageField(
        required=False,
        label=_("Image"),
        help_text=_("JPG, PNG, WebP or GIF, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[int, str]],
        business_units: QuerySet[BusinessUnit],
        allow_group: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("No category")), *categories]  # type: ignore[attr-defined]
        choices: list[tuple[str, Any]] = [(GROUP, _("The whole group"))] if allow_group else []
        choices += [(str(bu.pk), bu.name) for bu in business_units]
        self.fields["business_unit"].choices = choices  # type: ignore[attr-defined]

    def clean_category(self) -> ProductCategory | None:
        return _category(self.cleaned_data.get("category"))

    def clean_business_unit(self) -> BusinessUnit | None:
        value = self.cleaned_data.get("business_unit")
        if value == GROUP or not value:
            return None
        return BusinessUnit.objects.filter(pk=value).first()

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in services.EDITABLE if name in data}

    def image_change(self) -> Any:
        """``UNCHANGED``, a new upload, or ``None`` (the "clear" box ticked)."""
        value = self.cleaned_data.get("image")
        if value is False:
            return None
        if isinstance(value, UploadedFile):
            return value
        return services.UNCHANGED  # nothing uploaded: the form gives back the current file


class CategoryForm(XtForm):
    name = model_field(ProductCategory, "name")
    parent = forms.ChoiceField(required=False, label=_("Parent category"))
    position = model_field(
        ProductCategory, "position", help_text=_("Smaller numbers come first among siblings."), required=False
    )
    is_active = forms.BooleanField(
        required=False, label=_("Active"), help_text=_("Deactivating a category deactivates its subcategories too.")
    )

    def __init__(self, *args: Any, parents: list[tuple[int, str]], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("None (a top-level category)")), *parents]  # type: ignore[attr-defined]
        if not editing:
            del self.fields["is_active"]

    def clean_parent(self) -> ProductCategory | None:
        return _category(self.cleaned_data.get("parent"))

    def clean_position(self) -> int:
        return self.cleaned_data.get("position") or 0
