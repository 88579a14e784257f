"""The catalogue's writes: the category tree (paths follow moves, no cycles, deactivation of a
subtree) and products (money and tax checked field by field, codes unique, BU scope, audit)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.support.factories import png_bytes, upload
from xietong.catalog import services
from xietong.catalog.models import Product, ProductCategory
from xietong.core.audit import history
from xietong.core.errors import NotFound
from xietong.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PRODUCT = {"code": "NEW-1", "name": "新产品", "list_price": "100", "tax_rate": "13"}


def paths() -> dict[str, str]:
    return dict(ProductCategory.objects.values_list("name", "path"))


def field_errors(exc: Any) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- the category tree --------------------------------------------------------------------------


def test_created_categories_have_their_materialised_paths(tree):
    m, c, f = tree["machines"], tree["cnc"], tree["five"]
    assert paths() == {
        "机床": f"/{m.pk}/",
        "数控机床": f"/{m.pk}/{c.pk}/",
        "五轴": f"/{m.pk}/{c.pk}/{f.pk}/",
        "普通机床": f"/{m.pk}/{tree['plain'].pk}/",
        "耗材": f"/{tree['supplies'].pk}/",
    }


def test_moving_a_category_recomputes_the_paths_of_its_whole_subtree(curator, tree):
    c, f, s = tree["cnc"], tree["five"], tree["supplies"]
    services.category_update(actor=curator, category=c, parent=s)
    assert paths()["数控机床"] == f"/{s.pk}/{c.pk}/"
    assert paths()["五轴"] == f"/{s.pk}/{c.pk}/{f.pk}/"
    assert paths()["普通机床"] == f"/{tree['machines'].pk}/{tree['plain'].pk}/"
    services.category_update(actor=curator, category=c, parent=None)
    assert paths()["数控机床"] == f"/{c.pk}/"
    assert paths()["五轴"] == f"/{c.pk}/{f.pk}/"
    entry = history(c).filter(verb="category_move").latest("pk")
    assert entry.changes == {"parent": ["耗材", None]}


@pytest.mark.parametrize("target", ["cnc", "five"])
def test_a_category_never_moves_under_itself_or_its_subtree(curator, tree, target):
    before = paths()
    with pytest.raises(ValidationError) as exc:
        services.category_update(actor=curator, category=tree["cnc"], parent=tree[target])
    assert list(field_errors(exc)) == ["parent"]
    assert paths() == before


def test_sibling_names_are_unique_and_named_on_the_name_field(curator, tree):
    with pytest.raises(ValidationError) as exc:
        services.category_create(actor=curator, name="数控机床", parent=tree["machines"])
    assert list(field_errors(exc)) == ["name"]
    with pytest.raises(ValidationError) as exc:
        services.category_update(actor=curator, category=tree["plain"], name=" 数控机床 ")
    assert list(field_errors(exc)) == ["name"]
    # the same name under another parent is fine
    services.category_create(actor=curator, name="数控机床", parent=tree["supplies"])


def test_deactivating_a_category_deactivates_its_subtree_and_reactivation_needs_the_parent(curator, tree):
    services.category_update(actor=curator, category=tree["cnc"], is_active=False)
    active = dict(ProductCategory.objects.values_list("name", "is_active"))
    assert active == {"机床": True, "数控机床": False, "五轴": False, "普通机床": True, "耗材": True}
    with pytest.raises(ValidationError) as exc:
        services.category_update(actor=curator, category=tree["five"], is_active=True)
    assert list(field_errors(exc)) == ["is_active"]
    with pytest.raises(ValidationError) as exc:
        services.category_create(actor=curator, name="六轴", parent=tree["cnc"])
    assert list(field_errors(exc)) == ["parent"]
    services.category_update(actor=curator, category=tree["cnc"], is_active=True)
    assert ProductCategory.objects.get(pk=tree["cnc"].pk).is_active is True
    assert AuditEntry.objects.filter(verb="category_deactivate").count() == 2


def test_only_group_catalogue_administrators_change_the_tree(head, rep, tree):
    for user in (head, rep):
        with pytest.raises(PermissionDenied):
            services.category_create(actor=user, name="新类别")
        with pytest.raises(PermissionDenied):
            services.category_update(actor=user, category=tree["cnc"], name="改名")
    assert ProductCategory.objects.count() == 5


# --- products -------------------------------------------------------------------------------------


def test_a_product_is_created_in_a_bu_of_the_scope_with_money_in_two_places_and_audited(head, org, tree):
    product = services.product_create(
        actor=head,
        fields={**PRODUCT, "list_price": "12800.5", "cost": Decimal("8000"), "specification": " X-1 "},
        business_unit=org["bu1"],
        category=tree["five"],
    )
    product.refresh_from_db()
    assert (product.list_price, product.cost, product.tax_rate) == (
        Decimal("12800.50"),
        Decimal("8000.00"),
        Decimal("13.00"),
    )
    assert product.specification == "X-1"
    assert (product.business_unit, product.category, product.created_by) == (org["bu1"], tree["five"], head)
    entry = history(product).get(kind="create")
    assert entry.changes["list_price"] == [None, "12800.50"]
    assert entry.changes["business_unit"] == [None, "工业设备事业部"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"list_price": "-1"}, "list_price"),
        ({"list_price": "10.001"}, "list_price"),
        ({"list_price": "abc"}, "list_price"),
        ({"list_price": ""}, "list_price"),
        ({"list_price": "1e20"}, "list_price"),
        ({"cost": "-0.01"}, "cost"),
        ({"cost": "1.234"}, "cost"),
        ({"tax_rate": "100.01"}, "tax_rate"),
        ({"tax_rate": "-1"}, "tax_rate"),
        ({"tax_rate": "6.125"}, "tax_rate"),
        ({"code": "  "}, "code"),
        ({"name": ""}, "name"),
        ({"code": "X" * 41}, "code"),
        ({"owner": "x"}, "owner"),
    ],
)
def test_bad_input_is_refused_naming_the_field(head, org, fields, field):
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=head, fields={**PRODUCT, **fields}, business_unit=org["bu1"])
    assert list(field_errors(exc)) == [field]
    assert Product.objects.count() == 0


def test_tax_rate_zero_and_one_hundred_are_accepted(head, org):
    services.product_create(actor=head, fields={**PRODUCT, "tax_rate": "0"}, business_unit=org["bu1"])
    services.product_create(
        actor=head, fields={**PRODUCT, "code": "NEW-2", "tax_rate": "100"}, business_unit=org["bu1"]
    )
    assert sorted(Product.objects.values_list("tax_rate", flat=True)) == [Decimal("0.00"), Decimal("100.00")]


def test_the_code_is_unique_ignoring_case(head, org, products):
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=head, fields={**PRODUCT, "code": "ind-001"}, business_unit=org["bu1"])
    assert list(field_errors(exc)) == ["code"]
    with pytest.raises(ValidationError) as exc:
        services.product_update(actor=head, product=products["bu1"], fields={"code": "GRP-001"})
    assert list(field_errors(exc)) == ["code"]


def test_a_bu_head_puts_products_only_in_their_own_bu(head, org, products):
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=head, fields=PRODUCT, business_unit=org["bu2"])
    assert list(field_errors(exc)) == ["business_unit"]
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=head, fields=PRODUCT, business_unit=None)
    assert list(field_errors(exc)) == ["business_unit"]
    with pytest.raises(ValidationError) as exc:
        services.product_update(actor=head, product=products["bu1"], fields={}, business_unit=None)
    assert list(field_errors(exc)) == ["business_unit"]
    assert Product.objects.count() == 3


def test_products_of_another_bu_or_of_the_whole_group_are_outside_a_bu_heads_edit_scope(head, products):
    for key in ("bu2", "group"):
        with pytest.raises(NotFound):
            services.product_update(actor=head, product=products[key], fields={"name": "改"})
    assert Product.objects.get(pk=products["group"].pk).name == "切削液"


def test_the_group_scope_makes_and_moves_products_of_the_whole_group(curator, org, products):
    product = services.product_create(actor=curator, fields=PRODUCT, business_unit=None)
    assert product.business_unit is None
    services.product_update(actor=curator, product=products["bu2"], fields={}, business_unit=None)
    assert Product.objects.get(pk=products["bu2"].pk).business_unit_id is None


def test_readers_cannot_create_or_edit(rep, org, products):
    with pytest.raises(PermissionDenied):
        services.product_create(actor=rep, fields=PRODUCT, business_unit=org["bu1"])
    with pytest.raises(PermissionDenied):
        services.product_update(actor=rep, product=products["group"], fields={"name": "改"})
    with pytest.raises(PermissionDenied):
        services.product_set_status(actor=rep, product=products["group"], status="inactive")


def test_an_update_is_audited_with_its_changes(head, products):
    services.product_update(
        actor=head, product=products["bu1"], fields={"list_price": "1300000", "name": "五轴加工中心 II"}
    )
    entry = history(products["bu1"]).filter(kind="update").latest("pk")
    assert entry.changes == {
        "list_price": ["1280000.00", "1300000.00"],
        "name": ["五轴加工中心", "五轴加工中心 II"],
    }


def test_the_status_changes_and_is_audited(head, products):
    services.product_set_status(actor=head, product=products["bu1"], status="discontinued")
    assert Product.objects.get(pk=products["bu1"].pk).status == "discontinued"
    entry = history(products["bu1"]).get(verb="product_status")
    assert entry.changes == {"status": ["在售", "已停产"]}  # the labels of the time, in the default language
    with pytest.raises(ValidationError) as exc:
        services.product_set_status(actor=head, product=products["bu1"], status="gone")
    assert list(field_errors(exc)) == ["status"]


def test_an_inactive_category_is_refused_for_a_new_product(curator, head, org, tree):
    services.category_update(actor=curator, category=tree["cnc"], is_active=False)
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=head, fields=PRODUCT, business_unit=org["bu1"], category=tree["five"])
    assert list(field_errors(exc)) == ["category"]


def test_an_image_is_stored_checked_replaced_and_removed(head, org, media):
    product = services.product_create(
        actor=head, fields=PRODUCT, business_unit=org["bu1"], image=upload("机床.png", png_bytes(), "image/png")
    )
    first = product.image.name
    assert first.startswith("products/") and (media / first).exists()
    with pytest.raises(ValidationError) as exc:
        services.product_update(
            actor=head, product=product, fields={}, image=upload("fake.png", b"not a picture", "image/png")
        )
    assert list(field_errors(exc)) == ["image"]
    with pytest.raises(ValidationError) as exc:
        services.product_update(actor=head, product=product, fields={}, image=upload("x.svg", b"<svg/>", "image/svg"))
    assert list(field_errors(exc)) == ["image"]
    with django_capture_on_commit() as callbacks:
        services.product_update(
            actor=head, product=product, fields={}, image=upload("新图.png", png_bytes(color="#ff0000"), "image/png")
        )
    for callback in callbacks:
        callback()
    product.refresh_from_db()
    assert product.image.name != first and not (media / first).exists()
    services.product_update(actor=head, product=product, fields={}, image=None)
    product.refresh_from_db()
    assert product.image.name == ""


def django_capture_on_commit() -> Any:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext  # noqa: F401  (keep the import local)

    class _Capture:
        def __enter__(self) -> list[Any]:
            self.callbacks: list[Any] = []
            self._start = len(connection.run_on_commit)
            return self.callbacks

        def __exit__(self, *exc: Any) -> None:
            self.callbacks.extend(c[1] for c in connection.run_on_commit[self._start :])

    return _Capture()
