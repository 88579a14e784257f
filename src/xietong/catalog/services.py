"""Every write of the catalogue: the category tree (create, rename, move, deactivate) and products
(create, edit, status, image).

Keyword-only and atomic; each checks the policy, locks what it changes, validates field by field
(``ValidationError({field: message})``), writes and records the change in the audit trail.

Who may do what:

- the category tree is shared by the whole group: changing it takes catalogue "administer" over the
  whole group (``can_administer_categories``);
- a product belongs to one business unit or, without one, to the whole group. A user may put a
  product only in a BU their catalogue scope covers for the action ("create" / "edit"), and a
  product of the whole group takes the group scope (``product_scope``) — the same rule as
  ``visibility.ProductPolicy`` applies to what they may change afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.choices import DataScope
from xietong.core.validators import has_places
from xietong.core.visibility import ensure_still_visible
from xietong.org.models import BusinessUnit
from xietong.org.policies import require

from .choices import ProductStatus
from .models import Product, ProductCategory

MODULE = "catalog"

# what a form, the API or an import may set on a product (category, BU, status, image have their own arguments)
EDITABLE = (
    "code",
    "name",
    "specification",
    "unit",
    "list_price",
    "cost",
    "tax_rate",
    "product_line",
    "description",
)
MONEY_FIELDS = ("list_price", "cost")
MONEY_MAX = Decimal("99999999999999.99")  # max_digits=16, decimal_places=2
TAX_MAX = Decimal("100")
TWO_PLACES = Decimal("0.01")
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "gif")

UNCHANGED: Any = object()  # an argument left as it is (``None`` means "none": no category, no image)


# --- who may do what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where a user may take an action on products: the whole group (every BU and the products of the
    whole group), else the listed BUs."""

    group: bool = False
    business_unit_ids: frozenset[int] = field(default_factory=frozenset)

    def covers(self, business_unit_id: int | None) -> bool:
        if self.group:
            return True
        return business_unit_id is not None and business_unit_id in self.business_unit_ids


def product_scope(user: Any, action: str) -> Scope:
    """The BUs whose products ``user`` may take ``action`` on (``ProductPolicy``'s scope rules)."""
    access = user.access
    group, ids = False, set()
    for grant in access.grants_for(MODULE, action):
        if grant.scope == DataScope.GROUP and grant.business_unit_id is None:
            group = True
        elif grant.scope >= DataScope.BUSINESS_UNIT:
            ids.update(access.scope_business_units(grant))
    return Scope(group=group, business_unit_ids=frozenset(ids))


def can_administer_categories(user: Any) -> bool:
    """The shared category tree: catalogue "administer" over the whole group."""
    return bool(user.access.widest_scope(MODULE, "administer") >= DataScope.GROUP)


def _require_tree_admin(actor: Any) -> None:
    require(actor, MODULE, "administer")
    if not can_administer_categories(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Only administrators of the whole group's catalogue change the category tree."))


# --- categories ---------------------------------------------------------------------------------


def _clean_name(name: Any) -> str:
    text = str(name or "").strip()
    if not text:
        raise ValidationError({"name": _("Enter the category's name.")})
    limit = ProductCategory._meta.get_field("name").max_length or 60
    if len(text) > limit:
        raise ValidationError({"name": _("At most %(max)d characters.") % {"max": limit}})
    return text


def _check_sibling_name(name: str, parent: ProductCategory | None, exclude_pk: int | None = None) -> None:
    clash = ProductCategory.objects.filter(parent=parent, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": _("A category of this name already exists there.")})


def _position(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"position": _("Enter a whole number.")}) from None
    if number < 0:
        raise ValidationError({"position": _("Enter 0 or more.")})
    return number


@transaction.atomic
def category_create(
    *, actor: Any, name: str, parent: ProductCategory | None = None, position: int = 0
) -> ProductCategory:
    """A new category at the root or under an active ``parent``; its ``path`` is the parent's plus its id."""
    _require_tree_admin(actor)
    clean = _clean_name(name)
    if parent is not None:
        parent = ProductCategory.objects.select_for_update().filter(pk=parent.pk).first()
        if parent is None or not parent.is_active:
            raise ValidationError({"parent": _("Choose an active parent category.")})
    _check_sibling_name(clean, parent)
    category = ProductCategory(name=clean, parent=parent, position=_position(position))
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise ValidationError({"name": _("A category of this name already exists there.")}) from None
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    audit.record_create(actor=actor, obj=category)
    return category


@transaction.atomic
def category_update(
    *,
    actor: Any,
    category: ProductCategory,
    name: Any = UNCHANGED,
    parent: Any = UNCHANGED,
    position: Any = UNCHANGED,
    is_active: Any = UNCHANGED,
) -> ProductCategory:
    """Rename, move (under another category or to the root: the subtree's paths follow; a category
    never moves under itself or its own subcategories), reorder, deactivate (with its subtree) or
    reactivate (under an active parent)."""
    _require_tree_admin(actor)
    locked = ProductCategory.objects.select_for_update().filter(pk=category.pk).first()
    if locked is None:
        from xietong.core.errors import NotFound

        raise NotFound()
    before = audit.snapshot(locked)
    if parent is not UNCHANGED:
        new_parent = None
        if parent is not None:
            new_parent = ProductCategory.objects.filter(pk=getattr(parent, "pk", parent)).first()
            if new_parent is None:
                raise ValidationError({"parent": _("No such category.")})
            if new_parent.path.startswith(locked.path):
                raise ValidationError(
                    {"parent": _("A category cannot move under itself or one of its own subcategories.")}
                )
            if not new_parent.is_active:
                raise ValidationError({"parent": _("Choose an active parent category.")})
        locked.parent = new_parent
    if name is not UNCHANGED:
        locked.name = _clean_name(name)
    if name is not UNCHANGED or parent is not UNCHANGED:
        _check_sibling_name(locked.name, locked.parent, exclude_pk=locked.pk)
    if position is not UNCHANGED:
        locked.position = _position(position)
    deactivate = is_active is not UNCHANGED and not is_active and locked.is_active
    if is_active is not UNCHANGED and is_active and not locked.is_active:
        if locked.parent is not None and not locked.parent.is_active:
            raise ValidationError({"is_active": _("Reactivate the parent category first.")})
        locked.is_active = True
    old_path = locked.path
    locked.path = f"{locked.parent.path if locked.parent else '/'}{locked.pk}/"
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise ValidationError({"name": _("A category of this name already exists there.")}) from None
    if locked.path != old_path:
        _move_subtree(old_path, locked.path)
    audit.record_update(actor=actor, obj=locked, before=before, verb="category_move" if locked.path != old_path else "")
    if deactivate:
        _deactivate_subtree(actor, locked)
        locked.is_active = False
    return locked


def _move_subtree(old_prefix: str, new_prefix: str) -> None:
    """The descendants of a moved category: their paths start with the new prefix."""
    below = list(
        ProductCategory.objects.select_for_update()
        .filter(path__startswith=old_prefix)
        .exclude(path=old_prefix)
        .order_by("pk")
    )
    for node in below:
        node.path = new_prefix + node.path[len(old_prefix) :]
    ProductCategory.objects.bulk_update(below, ["path"])


def _deactivate_subtree(actor: Any, category: ProductCategory) -> None:
    """The category and every active category below it leave the pickers (products keep them)."""
    nodes = list(
        ProductCategory.objects.select_for_update()
        .filter(path__startswith=category.path, is_active=True)
        .order_by("pk")
    )
    for node in nodes:
        before = audit.snapshot(node)
        node.is_active = False
        node.save(update_fields=["is_active"])
        audit.record_update(actor=actor, obj=node, before=before, verb="category_deactivate")


# --- products -----------------------------------------------------------------------------------


def _decimal(value: Any, name: str, *, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({name: _("Enter an amount.")})
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: _("Enter a number.")}) from None
    if not amount.is_finite():
        raise ValidationError({name: _("Enter a number.")})
    if not has_places(amount, 2):
        raise ValidationError({name: _("Use at most two decimal places.")})
    if amount < 0:
        raise ValidationError({name: _("Enter 0 or more.")})
    if amount >= Decimal("1e14"):
        raise ValidationError({name: _("The amount is too large.")})
    return amount.quantize(TWO_PLACES)


def _set_fields(product: Product, fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    for name, value in fields.items():
        if name in MONEY_FIELDS:
            amount = _decimal(value, name, required=name == "list_price")
            if amount is not None and amount > MONEY_MAX:
                raise ValidationError({name: _("The amount is too large.")})
            value = amount
        elif name == "tax_rate":
            rate = _decimal(value, name, required=True)
            if rate is not None and rate > TAX_MAX:
                raise ValidationError({name: _("Enter a tax rate from 0 to 100 (%).")})
            value = rate
        elif value is None:
            value = ""
        else:
            value = str(value).strip()
        setattr(product, name, value)


def _validate(product: Product) -> None:
    """Required fields, lengths and the model's validators, field by field; the code unique."""
    if not product.code:
        raise ValidationError({"code": _("Enter the product code.")})
    if not product.name:
        raise ValidationError({"name": _("Enter the product's name.")})
    product.full_clean(
        exclude=["category", "business_unit", "created_by", "image"], validate_unique=False, validate_constraints=False
    )
    clash = Product.objects.filter(code__iexact=product.code)
    if product.pk:
        clash = clash.exclude(pk=product.pk)
    if clash.exists():
        raise ValidationError({"code": _("Another product has this code.")})


def _check_business_unit(actor: Any, business_unit: BusinessUnit | None, action: str) -> None:
    scope = product_scope(actor, action)
    if business_unit is None:
        if not scope.group:
            raise ValidationError(
                {"business_unit": _("Only the whole group's catalogue administrators add products of the whole group.")}
            )
        return
    if not business_unit.is_active:
        raise ValidationError({"business_unit": _("This business unit is closed.")})
    if not scope.covers(business_unit.pk):
        raise ValidationError({"business_unit": _("Your catalogue scope does not include this business unit.")})


def _check_category(category: ProductCategory | None, current_id: int | None) -> ProductCategory | None:
    """The category as it is now (read again: it may have been deactivated since the form showed it)."""
    if category is None:
        return None
    fresh = ProductCategory.objects.filter(pk=category.pk).first()
    if fresh is None:
        raise ValidationError({"category": _("No such category.")})
    if not fresh.is_active and fresh.pk != current_id:
        raise ValidationError({"category": _("Choose an active category.")})
    return fresh


def _check_status(status: Any) -> str:
    if status not in ProductStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    return str(status)


def _clean_image(image: Any) -> Any:
    """An uploaded picture, checked to be one (Pillow opens it) and not too large."""
    if image is None:
        return None
    if not isinstance(image, UploadedFile):
        raise ValidationError({"image": _("Upload a picture.")})
    if image.size and image.size > IMAGE_MAX_BYTES:
        raise ValidationError({"image": _("A picture has at most %(max)d MB.") % {"max": IMAGE_MAX_BYTES // 2**20}})
    file_name = image.name or ""
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension not in IMAGE_EXTENSIONS:
        raise ValidationError({"image": _("Upload a picture (%(types)s).") % {"types": ", ".join(IMAGE_EXTENSIONS)}})
    from django import forms

    try:
        checked = forms.ImageField().clean(image)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    checked.seek(0)
    return checked


def _replace_image(product: Product, image: Any) -> str:
    """Set (or with ``None`` remove) the product's image; the old file's name, deleted after the commit."""
    old = (product.image.name or "") if product.image else ""
    if image is None:
        product.image = ""  # type: ignore[assignment]
    else:
        product.image.save(image.name, image, save=False)
    return old


def _delete_file_after_commit(name: str) -> None:
    if not name:
        return
    from django.core.files.storage import default_storage

    transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def product_create(
    *,
    actor: Any,
    fields: dict[str, Any],
    business_unit: BusinessUnit | None = None,
    category: ProductCategory | None = None,
    status: str = ProductStatus.ACTIVE,
    image: Any = None,
) -> Product:
    """A new product in ``business_unit`` (``None``: a product of the whole group)."""
    require(actor, MODULE, "create")
    _check_business_unit(actor, business_unit, "create")
    category = _check_category(category, None)
    product = Product(business_unit=business_unit, category=category, created_by=actor)
    _set_fields(product, {"unit": Product._meta.get_field("unit").default, "tax_rate": Decimal("13.00"), **fields})
    product.status = _check_status(status)
    _validate(product)
    checked = _clean_image(image)
    if checked is not None:
        _replace_image(product, checked)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise ValidationError({"code": _("Another product has this code.")}) from None
    audit.record_create(actor=actor, obj=product)
    ensure_still_visible(product, actor)
    return product


@transaction.atomic
def product_update(
    *,
    actor: Any,
    product: Product,
    fields: dict[str, Any],
    business_unit: Any = UNCHANGED,
    category: Any = UNCHANGED,
    status: Any = UNCHANGED,
    image: Any = UNCHANGED,
) -> Product:
    """Change a product's details; moving it to another BU (or to the whole group) takes the scope of
    the new place too. ``image=None`` removes the picture."""
    require(actor, MODULE, "edit")
    locked = Product.objects.lock_visible(actor, product.pk, "edit")
    before = audit.snapshot(locked)
    _set_fields(locked, fields)
    if business_unit is not UNCHANGED and getattr(business_unit, "pk", None) != locked.business_unit_id:
        _check_business_unit(actor, business_unit, "edit")
        locked.business_unit = business_unit
    if category is not UNCHANGED:
        locked.category = _check_category(category, locked.category_id)
    if status is not UNCHANGED:
        locked.status = _check_status(status)
    _validate(locked)
    old_image = ""
    if image is not UNCHANGED:
        old_image = _replace_image(locked, _clean_image(image))
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise ValidationError({"code": _("Another product has this code.")}) from None
    audit.record_update(actor=actor, obj=locked, before=before)
    ensure_still_visible(locked, actor, "edit")
    if old_image and old_image != locked.image.name:
        _delete_file_after_commit(old_image)
    return locked


@transaction.atomic
def product_set_status(*, actor: Any, product: Product, status: str) -> Product:
    """Put a product on sale, take it off sale or discontinue it (quotes offer products on sale only)."""
    require(actor, MODULE, "edit")
    locked = Product.objects.lock_visible(actor, product.pk, "edit")
    new = _check_status(status)
    if locked.status == new:
        return locked
    before = audit.snapshot(locked)
    locked.status = new
    locked.save(update_fields=["status", "updated_at"])
    audit.record_update(actor=actor, obj=locked, before=before, verb="product_status")
    return locked
