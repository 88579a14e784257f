"""Every read of the catalogue, visibility applied: products (``Product.objects.visible_to``) and the
shared category tree (everyone with catalogue "view")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value

from xietong.core.params import as_int
from xietong.org.models import BusinessUnit

from .models import Product, ProductCategory
from .services import MODULE, product_scope

GROUP = "group"  # the business-unit filter's value for products of the whole group
INDENT = "\u3000"  # an ideographic space per level of the tree in pickers


def search_q(q: str) -> Q:
    """Name, code or specification containing ``q``."""
    return Q(name__icontains=q) | Q(code__icontains=q) | Q(specification__icontains=q)


def with_editable(qs: QuerySet[Product], user: Any) -> QuerySet[Product]:
    """Each product with ``editable``: whether ``user`` may edit it — and so see its cost (dealers and
    everyone else who only reads the catalogue never see costs and margins). No query per row."""
    if not user.access.can(MODULE, "edit"):
        return qs.annotate(editable=Value(False, output_field=BooleanField()))
    editable = Product.objects.visible_to(user, "edit").values("pk")
    return qs.annotate(editable=ExpressionWrapper(Q(pk__in=editable), output_field=BooleanField()))


def product_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    category: ProductCategory | int | None = None,
    business_unit: BusinessUnit | int | str | None = None,
    product_line: str = "",
    status: str = "",
) -> QuerySet[Product]:
    """The products ``user`` sees (or may take ``action`` on), filtered: ``category`` with its whole
    subtree, ``business_unit`` a BU (or ``"group"``: the products of the whole group). Rows carry their
    category and BU, and ``editable``."""
    qs = Product.objects.visible_to(user, action)
    if q:
        qs = qs.filter(search_q(q))
    if category:
        node = (
            category if isinstance(category, ProductCategory) else ProductCategory.objects.filter(pk=category).first()
        )
        qs = qs.filter(category__path__startswith=node.path) if node is not None else qs.none()
    if business_unit == GROUP:
        qs = qs.filter(business_unit__isnull=True)
    elif business_unit:
        qs = qs.filter(business_unit_id=getattr(business_unit, "pk", business_unit))
    if product_line:
        qs = qs.filter(product_line=product_line)
    if status:
        qs = qs.filter(status=status)
    return with_editable(qs.select_related("category", "business_unit"), user)


def product_get(*, user: Any, pk: Any, action: str = "view") -> Product:
    """The product, or ``NotFound`` (missing or outside the scope alike)."""
    qs: Any = with_editable(Product.objects.select_related("category", "business_unit", "created_by"), user)
    found: Product = qs.get_visible(user, pk, action)
    return found


def product_search(*, user: Any, q: str, limit: int) -> list[Product]:
    if not user.access.can(MODULE, "view"):
        return []
    return list(
        Product.objects.visible_to(user)
        .filter(search_q(q))
        .select_related("business_unit")
        .order_by("name", "pk")[:limit]
    )


def product_lines(*, user: Any) -> list[str]:
    """The product lines of the products ``user`` sees, for dropdowns (one query)."""
    if not user.access.can(MODULE, "view"):
        return []
    return list(
        Product.objects.visible_to(user)
        .exclude(product_line="")
        .order_by("product_line")
        .values_list("product_line", flat=True)
        .distinct()
    )


def business_unit_choices(*, user: Any, action: str) -> QuerySet[BusinessUnit]:
    """The active BUs ``user`` may put products in (``action``: "create" or "edit"), or filter by ("view")."""
    scope = product_scope(user, action)
    qs = BusinessUnit.objects.filter(is_active=True).order_by("code")
    return qs if scope.group else qs.filter(pk__in=scope.business_unit_ids)


def may_place_in_group(*, user: Any, action: str) -> bool:
    """Whether ``user`` may make (or move) products of the whole group (no BU)."""
    return product_scope(user, action).group


# --- the category tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    category: ProductCategory
    depth: int
    product_count: int = 0


def category_tree(*, user: Any, active_only: bool = False) -> list[Node]:
    """The category tree in display order (depth first; siblings by position, then name), for
    everyone with catalogue "view" (empty otherwise). One query."""
    if not user.access.can(MODULE, "view"):
        return []
    qs = ProductCategory.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    nodes = list(qs)
    ids = {n.pk for n in nodes}
    children: dict[int | None, list[ProductCategory]] = {}
    for node in nodes:
        parent = node.parent_id if node.parent_id in ids else None
        children.setdefault(parent, []).append(node)
    for siblings in children.values():
        siblings.sort(key=lambda c: (c.position, c.name, c.pk))
    ordered: list[Node] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in children.get(parent, []):
            ordered.append(Node(child, depth))
            walk(child.pk, depth + 1)

    walk(None, 0)
    return ordered


def category_choices(*, user: Any, exclude: ProductCategory | None = None) -> list[tuple[int, str]]:
    """Active categories as ``(id, indented name)`` in tree order; ``exclude``: a category and its
    subtree (where it cannot move)."""
    return [
        (node.category.pk, f"{INDENT * node.depth}{node.category.name}")
        for node in category_tree(user=user, active_only=True)
        if exclude is None or not node.category.path.startswith(exclude.path)
    ]


def category_list(*, user: Any) -> QuerySet[ProductCategory]:
    """All categories for the API (shared tree): empty without catalogue "view"."""
    if not user.access.can(MODULE, "view"):
        return ProductCategory.objects.none()
    return ProductCategory.objects.select_related("parent")


def category_get(*, user: Any, pk: Any) -> ProductCategory:
    from xietong.core.errors import NotFound

    found = category_list(user=user).filter(pk=as_int(pk, 0)).first()
    if found is None:
        raise NotFound()
    return found
