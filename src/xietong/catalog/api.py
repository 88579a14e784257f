"""REST endpoints of the catalogue: ``/api/v1/products`` (list with filters and cursor pages, create
with an ``Idempotency-Key``, get, patch, its ``/image`` uploaded and deleted) and
``/api/v1/product-categories`` (list, create, patch).
Thin: parse → selector or service → schema. Money is a decimal string ("12800.00"); the cost is
``null`` for whoever may not edit the product (they never see costs)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, FileEx, P, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from xietong.core.api import ERROR_RESPONSES, Page, Ref
from xietong.core.idempotency import idempotent
from xietong.org.models import BusinessUnit
from xietong.org.policies import require

from . import selectors, services
from .choices import ProductStatus
from .models import Product, ProductCategory

router = Router(tags=["catalog"])
MODULE = "catalog"


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class ProductOut(Schema):
    id: int
    code: str
    name: str
    specification: str
    unit: str
    list_price: str = Field(..., description="CNY, two decimals, as a string")
    cost: str | None = Field(None, description="CNY; null unless you may edit the product")
    tax_rate: str = Field(..., description="a percentage: 13.00 = 13 %")
    product_line: str
    category: Ref | None
    business_unit: Ref | None = Field(None, description="null: a product of the whole group")
    status: ProductStatus
    description: str
    image_url: str | None
    created_at: datetime
    updated_at: datetime

    # a stored answer (an idempotent retry) is already a dict of these fields
    @staticmethod
    def resolve_list_price(obj: Any) -> Any:
        return obj["list_price"] if isinstance(obj, dict) else _money(obj.list_price)

    @staticmethod
    def resolve_cost(obj: Any) -> Any:
        if isinstance(obj, dict):
            return obj["cost"]
        return _money(obj.cost) if getattr(obj, "editable", False) else None

    @staticmethod
    def resolve_tax_rate(obj: Any) -> Any:
        return obj["tax_rate"] if isinstance(obj, dict) else _money(obj.tax_rate)

    @staticmethod
    def resolve_category(obj: Any) -> Any:
        return obj["category"] if isinstance(obj, dict) else _ref(obj.category)

    @staticmethod
    def resolve_business_unit(obj: Any) -> Any:
        return obj["business_unit"] if isinstance(obj, dict) else _ref(obj.business_unit)

    @staticmethod
    def resolve_image_url(obj: Any) -> Any:
        if isinstance(obj, dict):
            return obj["image_url"]
        return reverse("catalog:product_image", args=[obj.pk]) if obj.image else None


class ProductFields(Schema):
    specification: str | None = Field(None, max_length=200)
    unit: str | None = Field(None, max_length=10)
    cost: Decimal | None = Field(None, description="CNY, at most two decimals, 0 or more")
    product_line: str | None = Field(None, max_length=60)
    category_id: int | None = None
    status: ProductStatus | None = None
    description: str | None = None


class ProductIn(ProductFields):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=120)
    list_price: Decimal = Field(..., description="CNY, at most two decimals, 0 or more")
    tax_rate: Decimal = Field(Decimal("13.00"), description="0 to 100")
    business_unit_id: int | None = Field(None, description="null: a product of the whole group (takes the group scope)")


class ProductPatch(ProductFields):
    code: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=120)
    list_price: Decimal | None = None
    tax_rate: Decimal | None = None
    business_unit_id: int | None = None


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str
    depth: int
    position: int
    is_active: bool


class CategoryIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    parent_id: int | None = None
    position: int = Field(0, ge=0)


class CategoryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    parent_id: int | None = Field(None, description="null: a top-level category")
    position: int | None = Field(None, ge=0)
    is_active: bool | None = Field(None, description="false deactivates the subtree too")


def _category(request: HttpRequest, pk: int | None, field: str = "category_id") -> ProductCategory | None:
    if pk is None:
        return None
    found = selectors.category_list(user=request.user).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("No such category.")})
    return found


def _business_unit(pk: int | None) -> BusinessUnit | None:
    if pk is None:
        return None
    found = BusinessUnit.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"business_unit_id": _("No such business unit.")})
    return found


def _fields(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    return {k: v for k, v in data.items() if k in services.EDITABLE}


def _mapped(exc: ValidationError) -> ValidationError:
    """The service names ``category`` / ``business_unit``; the API's fields end in ``_id``."""
    if not hasattr(exc, "error_dict"):
        return exc
    names = {"category": "category_id", "business_unit": "business_unit_id", "parent": "parent_id"}
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


def _out(request: HttpRequest, pk: int) -> Product:
    return selectors.product_get(user=request.user, pk=pk)


@router.get("/products", response={200: list[ProductOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_products(
    request: HttpRequest,
    q: str = "",
    category_id: int | None = None,
    business_unit_id: int | None = None,
    group_only: bool = False,
    product_line: str = "",
    status: str = "",
) -> Any:
    """``category_id`` includes its subcategories; ``group_only``: the products of the whole group."""
    require(request.user, MODULE, "view")
    return selectors.product_list(
        user=request.user,
        q=q.strip(),
        category=category_id,
        business_unit=selectors.GROUP if group_only else business_unit_id,
        product_line=product_line.strip(),
        status=status,
    )


@router.post("/products", response={201: ProductOut, **ERROR_RESPONSES})
def create_product(request: HttpRequest, payload: ProductIn) -> Any:
    """Send an ``Idempotency-Key`` header when you may retry: the same key and body answer the first
    result again and create nothing; the same key with another body is refused (422)."""

    def create() -> tuple[int, Any]:
        require(request.user, MODULE, "create")
        try:
            product = services.product_create(
                actor=request.user,
                fields=_fields(payload),
                business_unit=_business_unit(payload.business_unit_id),
                category=_category(request, payload.category_id),
                status=payload.status or ProductStatus.ACTIVE,
            )
        except ValidationError as exc:
            raise _mapped(exc) from None
        return 201, ProductOut.from_orm(_out(request, product.pk)).model_dump(mode="json")

    status, body = idempotent(request, scope="catalog.products.create", payload=payload.dict(), create=create)
    return Status(status, body)


@router.get("/products/{product_id}", response={200: ProductOut, **ERROR_RESPONSES})
def get_product(request: HttpRequest, product_id: int) -> Any:
    return selectors.product_get(user=request.user, pk=product_id)


@router.patch("/products/{product_id}", response={200: ProductOut, **ERROR_RESPONSES})
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> Any:
    product = selectors.product_get(user=request.user, pk=product_id)  # 404 before 403
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    try:
        if "business_unit_id" in data:
            changes["business_unit"] = _business_unit(data["business_unit_id"])
        if "category_id" in data:
            changes["category"] = _category(request, data["category_id"])
        if data.get("status") is not None:
            changes["status"] = data["status"]
        services.product_update(actor=request.user, product=product, fields=_fields(payload), **changes)
    except ValidationError as exc:
        raise _mapped(exc) from None
    return _out(request, product.pk)


@router.post("/products/{product_id}/image", response={200: ProductOut, **ERROR_RESPONSES})
def set_product_image(
    request: HttpRequest,
    product_id: int,
    image: FileEx[UploadedFile | None, P(description="JPG, PNG, WebP or GIF, at most 5 MB.")] = None,
) -> Any:
    """Multipart ``image`` replaces the picture (the old file is deleted once the change is committed).
    POST, not PUT: Django parses multipart bodies of POST requests only. The file is optional to the
    parser so that the product is looked up first: an unseen product is a 404 whatever was sent, a
    missing file a 422 on ``image``."""
    product = selectors.product_get(user=request.user, pk=product_id)
    if image is None:
        raise ValidationError({"image": _("Upload a picture.")})
    services.product_update(actor=request.user, product=product, fields={}, image=image)
    return _out(request, product.pk)


@router.delete("/products/{product_id}/image", response={204: None, **ERROR_RESPONSES})
def delete_product_image(request: HttpRequest, product_id: int) -> Any:
    """Removes the picture (the file is deleted once the change is committed); none to remove is fine."""
    product = selectors.product_get(user=request.user, pk=product_id)
    services.product_update(actor=request.user, product=product, fields={}, image=None)
    return Status(204, None)


# --- the category tree ----------------------------------------------------------------------------


@router.get("/product-categories", response={200: list[CategoryOut], **ERROR_RESPONSES})
@paginate(Page, ordering=("id",))
def list_categories(request: HttpRequest, active: bool | None = None) -> Any:
    """The shared tree, every node with its ``path`` (``/1/5/``: the ids from the root) and ``depth``."""
    require(request.user, MODULE, "view")
    qs = selectors.category_list(user=request.user)
    return qs if active is None else qs.filter(is_active=active)


@router.post("/product-categories", response={201: CategoryOut, **ERROR_RESPONSES})
def create_category(request: HttpRequest, payload: CategoryIn) -> Any:
    try:
        category = services.category_create(
            actor=request.user,
            name=payload.name,
            parent=_category(request, payload.parent_id, "parent_id"),
            position=payload.position,
        )
    except ValidationError as exc:
        raise _mapped(exc) from None
    return Status(201, category)


@router.patch("/product-categories/{category_id}", response={200: CategoryOut, **ERROR_RESPONSES})
def update_category(request: HttpRequest, category_id: int, payload: CategoryPatch) -> Any:
    category = selectors.category_get(user=request.user, pk=category_id)
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    try:
        if "parent_id" in data:
            changes["parent"] = _category(request, data["parent_id"], "parent_id")
        for name in ("name", "position", "is_active"):
            if data.get(name) is not None:
                changes[name] = data[name]
        category = services.category_update(actor=request.user, category=category, **changes)
    except ValidationError as exc:
        raise _mapped(exc) from None
    return category
