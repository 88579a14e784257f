"""The product catalogue: a tree of categories and the products sold from it.

A product belongs to one business unit or, without one, to the whole group. Money is Decimal with
two places; the tax rate is a percentage (13.00 = 13 %). Price books come with quote-to-cash.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.core.visibility import VisibleQuerySet

from . import visibility
from .choices import ProductStatus

USER = settings.AUTH_USER_MODEL


class ProductCategory(models.Model):
    """A node of the category tree; ``path`` is ``/1/5/`` (ids from the root), so a subtree is one
    ``startswith``."""

    not_business_data = True  # the shared category tree (catalogue view reads it)

    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("name", "parent", "position", "is_active")

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ("path", "position", "pk")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="catalog_category_unique_name"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="catalog_category_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class ProductQuerySet(VisibleQuerySet["Product"]):
    def on_sale(self) -> ProductQuerySet:
        return self.filter(status=ProductStatus.ACTIVE)


class Product(models.Model):
    visibility_policy = visibility.PRODUCTS

    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=10, default="台")
    list_price = models.DecimalField(
        _("list price"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    cost = models.DecimalField(
        _("cost"), max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("13.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    product_line = models.CharField(_("product line"), max_length=60, blank=True, db_index=True)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    business_unit = models.ForeignKey(
        "org.BusinessUnit",
        verbose_name=_("business unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for a product the whole group sells."),
    )
    status = models.CharField(_("status"), max_length=12, choices=ProductStatus.choices, default=ProductStatus.ACTIVE)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/", blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    audit_fields = (
        "code",
        "name",
        "specification",
        "unit",
        "list_price",
        "cost",
        "tax_rate",
        "product_line",
        "category",
        "business_unit",
        "status",
        "description",
        "image",
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["business_unit", "status", "name"], name="catalog_product_bu_idx"),
            models.Index(fields=["category", "name"], name="catalog_product_cat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
