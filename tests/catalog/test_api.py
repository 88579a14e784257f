"""/api/v1/products and /api/v1/product-categories: list with filters and cursor pages, create with an
Idempotency-Key, get, patch, the product's image uploaded and removed; money as decimal strings;
costs only for editors; 404 outside the scope, 422 naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django import forms
from django.utils.translation import gettext

from tests.conftest import login
from tests.support.factories import png_bytes, upload
from tests.support.pipeline import ProductFactory
from tests.support.queries import assert_queries_constant
from xietong.catalog import services
from xietong.catalog.models import Product, ProductCategory
from xietong.core.models import IdempotencyKey

pytestmark = pytest.mark.django_db

NEW = {"code": "API-1", "name": "接口产品", "list_price": "1999.90", "cost": "1200", "tax_rate": "6"}


def send(client: Any, method: str, url: str, body: dict[str, Any], **headers: str) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", headers=headers)


def errors(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


# --- products ---------------------------------------------------------------------------------------


def test_create_answers_201_with_money_as_decimal_strings(head, org, tree):
    body = {**NEW, "business_unit_id": org["bu1"].pk, "category_id": tree["cnc"].pk, "specification": "A-1"}
    response = send(login(head), "post", "/api/v1/products", body)
    assert response.status_code == 201, response.content
    data = response.json()
    product = Product.objects.get(code="API-1")
    assert data == {
        "id": product.pk,
        "code": "API-1",
        "name": "接口产品",
        "specification": "A-1",
        "unit": "台",
        "list_price": "1999.90",
        "cost": "1200.00",
        "tax_rate": "6.00",
        "product_line": "",
        "category": {"id": tree["cnc"].pk, "name": "数控机床"},
        "business_unit": {"id": org["bu1"].pk, "name": "工业设备事业部"},
        "status": "active",
        "description": "",
        "image_url": None,
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }


def test_the_same_idempotency_key_creates_once(head, org):
    client = login(head)
    body = {**NEW, "business_unit_id": org["bu1"].pk}
    first = send(client, "post", "/api/v1/products", body, **{"Idempotency-Key": "p-1"})
    again = send(client, "post", "/api/v1/products", body, **{"Idempotency-Key": "p-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Product.objects.count() == 1
    assert IdempotencyKey.objects.get().scope == "catalog.products.create"
    other = send(client, "post", "/api/v1/products", {**body, "name": "别的"}, **{"Idempotency-Key": "p-1"})
    assert other.status_code == 422 and errors(other) == ["Idempotency-Key"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"list_price": "-1"}, "list_price"),
        ({"list_price": "1.005"}, "list_price"),
        ({"cost": "-5"}, "cost"),
        ({"tax_rate": "101"}, "tax_rate"),
        ({"code": ""}, "code"),
        ({"category_id": 999999}, "category_id"),
        ({"business_unit_id": None}, "business_unit_id"),
        ({"status": "gone"}, "status"),
    ],
)
def test_invalid_input_answers_422_naming_the_field(head, org, change, field):
    body = {**NEW, "business_unit_id": org["bu1"].pk, **change}
    response = send(login(head), "post", "/api/v1/products", body)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"detail", "errors"}
    assert errors(response) == [field]
    assert Product.objects.count() == 0


def test_a_bu_outside_the_scope_is_a_field_error(head, org):
    response = send(login(head), "post", "/api/v1/products", {**NEW, "business_unit_id": org["bu2"].pk})
    assert response.status_code == 422 and errors(response) == ["business_unit_id"]


def test_readers_get_403_on_create(rep, org):
    response = send(login(rep), "post", "/api/v1/products", {**NEW, "business_unit_id": org["bu1"].pk})
    assert response.status_code == 403


def test_get_shows_the_cost_only_to_editors(head, rep, products):
    url = f"/api/v1/products/{products['bu1'].pk}"
    assert login(head).get(url).json()["cost"] == "900000.00"
    reader = login(rep).get(url).json()
    assert (reader["cost"], reader["list_price"]) == (None, "1280000.00")


def test_products_outside_the_scope_answer_404_like_missing_ones(head, products):
    client = login(head)
    for url in (f"/api/v1/products/{products['bu2'].pk}", "/api/v1/products/999999"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["errors"] == []
        response = send(client, "patch", url, {"name": "改"})
        assert response.status_code == 404
    assert Product.objects.get(pk=products["bu2"].pk).name == "监护仪"


def test_patch_changes_only_what_is_sent(head, products, tree):
    product = products["bu1"]
    response = send(
        login(head), "patch", f"/api/v1/products/{product.pk}", {"list_price": "1300000", "category_id": None}
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["list_price"], data["category"], data["name"], data["cost"]) == (
        "1300000.00",
        None,
        "五轴加工中心",
        "900000.00",
    )
    response = send(login(head), "patch", f"/api/v1/products/{product.pk}", {"status": "discontinued"})
    assert response.json()["status"] == "discontinued"
    response = send(login(head), "patch", f"/api/v1/products/{product.pk}", {"tax_rate": "-1"})
    assert response.status_code == 422 and errors(response) == ["tax_rate"]


def test_readers_get_403_on_patch_of_a_product_they_see(rep, products):
    response = send(login(rep), "patch", f"/api/v1/products/{products['group'].pk}", {"name": "改"})
    assert response.status_code == 403


def test_the_list_filters_pages_and_applies_visibility(head, reader, org, products, tree):
    def codes(client: Any, **params: Any) -> list[str]:
        return [p["code"] for p in client.get("/api/v1/products", params).json()["results"]]

    assert codes(login(head)) == ["IND-001", "GRP-001"]
    reader = login(reader)
    assert codes(reader) == ["IND-001", "MED-001", "GRP-001"]
    assert codes(reader, category_id=tree["machines"].pk) == ["IND-001"]
    assert codes(reader, business_unit_id=org["bu2"].pk) == ["MED-001"]
    assert codes(reader, group_only=True) == ["GRP-001"]
    assert codes(reader, q="m-12") == ["MED-001"]
    assert codes(reader, product_line="耗材") == ["GRP-001"]
    first = reader.get("/api/v1/products", {"page_size": 2}).json()
    assert [p["code"] for p in first["results"]] == ["IND-001", "MED-001"]
    second = reader.get(first["next"]).json()
    assert [p["code"] for p in second["results"]] == ["GRP-001"]


def test_the_list_costs_the_same_number_of_queries_for_more_rows(head, org, tree, products):
    client = login(head)
    assert_queries_constant(
        lambda: client.get("/api/v1/products"),
        lambda: [ProductFactory(business_unit=org["bu1"], category=tree["five"]) for _ in range(4)],
        max_queries=12,
    )


# --- the product's image ------------------------------------------------------------------------------


def image_url(product: Product) -> str:
    return f"/api/v1/products/{product.pk}/image"


def test_an_image_is_uploaded_replaced_and_removed(head, products, media, django_capture_on_commit_callbacks):
    product = products["bu1"]
    client = login(head)
    response = client.post(image_url(product), {"image": upload("机床.png", png_bytes(), "image/png")})
    assert response.status_code == 200, response.content
    assert response.json() == client.get(f"/api/v1/products/{product.pk}").json()
    assert response.json()["image_url"] == f"/catalog/products/{product.pk}/image/"
    first = Product.objects.get(pk=product.pk).image.name
    assert first.startswith("products/") and (media / first).read_bytes() == png_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.post(
            image_url(product), {"image": upload("新图.png", png_bytes(color="#ff0000"), "image/png")}
        )
    second = Product.objects.get(pk=product.pk).image.name
    assert (replaced.status_code, second != first, (media / first).exists(), (media / second).exists()) == (
        200,
        True,
        False,
        True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.delete(image_url(product))
    assert (removed.status_code, removed.content) == (204, b"")
    assert (Product.objects.get(pk=product.pk).image.name, (media / second).exists()) == ("", False)
    assert client.get(f"/api/v1/products/{product.pk}").json()["image_url"] is None
    assert client.delete(image_url(product)).status_code == 204  # none to remove: still none


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.png", b"not a picture", str(forms.ImageField.default_error_messages["invalid_image"])),
        ("图.svg", b"<svg/>", "Upload a picture (%(types)s)."),
        ("大.png", b"0" * (services.IMAGE_MAX_BYTES + 1), "A picture has at most %(max)d MB."),
        (None, b"", "Upload a picture."),
    ],
)
def test_a_file_that_is_no_picture_or_too_large_is_a_422_on_image(head, products, name, content, message):
    product = products["bu1"]
    sent = {"image": upload(name, content, "image/png")} if name is not None else {}
    response = login(head).post(image_url(product), sent)
    expected = gettext(message) % {"types": ", ".join(services.IMAGE_EXTENSIONS), "max": 5}
    assert (response.status_code, response.json()["errors"]) == (422, [{"field": "image", "message": expected}])
    assert Product.objects.get(pk=product.pk).image.name == ""


def test_a_reader_gets_403_and_a_product_outside_the_scope_404_on_the_image(head, rep, products):
    readable = products["group"]
    refused = gettext("Your roles do not allow “%(action)s” in “%(module)s”.") % {
        "action": gettext("Edit"),
        "module": gettext("Product catalogue"),
    }
    for response in (
        login(rep).post(image_url(readable), {"image": upload("p.png", png_bytes(), "image/png")}),
        login(rep).delete(image_url(readable)),
    ):
        assert (response.status_code, response.json()) == (403, {"detail": refused, "errors": []})
    foreign = products["bu2"]
    for response in (
        login(head).post(image_url(foreign), {"image": upload("p.png", png_bytes(), "image/png")}),
        login(head).delete(image_url(foreign)),
    ):
        assert (response.status_code, response.json()) == (404, {"detail": gettext("Not found."), "errors": []})
    assert list(Product.objects.order_by("pk").values_list("image", flat=True)) == ["", "", ""]


# --- categories -------------------------------------------------------------------------------------


def test_categories_list_create_and_patch(curator, rep, tree):
    listed = login(rep).get("/api/v1/product-categories").json()["results"]
    assert [(c["name"], c["depth"]) for c in listed] == [
        ("机床", 0),
        ("数控机床", 1),
        ("五轴", 2),
        ("普通机床", 1),
        ("耗材", 0),
    ]
    client = login(curator)
    response = send(client, "post", "/api/v1/product-categories", {"name": "三轴", "parent_id": tree["cnc"].pk})
    assert response.status_code == 201, response.content
    three = ProductCategory.objects.get(name="三轴")
    assert response.json()["path"] == f"{tree['cnc'].path}{three.pk}/"
    response = send(client, "patch", f"/api/v1/product-categories/{tree['cnc'].pk}", {"parent_id": tree["supplies"].pk})
    assert response.status_code == 200
    three.refresh_from_db()
    assert three.path == f"/{tree['supplies'].pk}/{tree['cnc'].pk}/{three.pk}/"
    response = send(client, "patch", f"/api/v1/product-categories/{tree['cnc'].pk}", {"parent_id": three.pk})
    assert response.status_code == 422 and errors(response) == ["parent_id"]
    response = send(client, "patch", f"/api/v1/product-categories/{tree['cnc'].pk}", {"is_active": False})
    assert response.json()["is_active"] is False
    assert ProductCategory.objects.get(pk=three.pk).is_active is False


def test_category_writes_need_group_administration_and_unknown_ids_are_404(head, curator, tree):
    response = send(login(head), "post", "/api/v1/product-categories", {"name": "新"})
    assert response.status_code == 403
    response = send(login(head), "patch", f"/api/v1/product-categories/{tree['cnc'].pk}", {"name": "改"})
    assert response.status_code == 403
    response = send(login(curator), "patch", "/api/v1/product-categories/999999", {"name": "改"})
    assert response.status_code == 404
    response = send(
        login(curator), "post", "/api/v1/product-categories", {"name": "数控机床", "parent_id": tree["machines"].pk}
    )
    assert response.status_code == 422 and errors(response) == ["name"]
