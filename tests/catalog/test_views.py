"""The catalogue pages: the product list (filters, sort, keyset pages, cost only for editors, query
guard), the product page and image, the form (errors keep the input), exports (exact content,
visibility, formula safety) and the category tree."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.conftest import login
from tests.support.factories import png_bytes, upload
from tests.support.pipeline import ProductFactory
from tests.support.queries import assert_queries_constant
from xietong.catalog import services
from xietong.catalog.exports import product_columns
from xietong.catalog.models import Product, ProductCategory
from xietong.core.exports import CONTENT_TYPE
from xietong.org.models import BusinessUnit

pytestmark = pytest.mark.django_db

LIST = "/catalog/products/"


def names(response: Any) -> list[str]:
    return [p.name for p in response.context["page"]["rows"]]


# --- the list ---------------------------------------------------------------------------------------


def test_the_list_shows_what_the_scope_allows(head, rep, reader, products):
    assert names(login(reader).get(LIST)) == ["五轴加工中心", "切削液", "监护仪"]
    assert names(login(head).get(LIST)) == ["五轴加工中心", "切削液"]  # BU1's and the whole group's
    assert names(login(rep).get(LIST)) == ["五轴加工中心", "切削液"]


def test_the_list_filters_by_search_category_subtree_bu_line_and_status(reader, org, products, tree):
    client = login(reader)
    assert names(client.get(LIST, {"q": "vmc"})) == ["五轴加工中心"]
    assert names(client.get(LIST, {"q": "20L"})) == ["切削液"]
    assert names(client.get(LIST, {"q": "med-0"})) == ["监护仪"]
    assert names(client.get(LIST, {"category": tree["machines"].pk})) == ["五轴加工中心"]  # the subtree
    assert names(client.get(LIST, {"category": tree["plain"].pk})) == []
    assert names(client.get(LIST, {"business_unit": org["bu2"].pk})) == ["监护仪"]
    assert names(client.get(LIST, {"business_unit": "group"})) == ["切削液"]
    assert names(client.get(LIST, {"product_line": "监护"})) == ["监护仪"]
    Product.objects.filter(pk=products["bu2"].pk).update(status="discontinued")
    assert names(client.get(LIST, {"status": "discontinued"})) == ["监护仪"]
    empty = client.get(LIST, {"q": "没有这个"}).content.decode()
    assert translation.gettext("No products match these filters.") in empty


def test_the_list_sorts_by_name_code_and_list_price(reader, products):
    client = login(reader)
    assert names(client.get(LIST, {"sort": "code"})) == ["切削液", "五轴加工中心", "监护仪"]
    assert names(client.get(LIST, {"sort": "-list_price"})) == ["五轴加工中心", "监护仪", "切削液"]
    assert names(client.get(LIST, {"sort": "list_price"})) == ["切削液", "监护仪", "五轴加工中心"]


def test_keyset_pages_and_the_count(reader, products, monkeypatch):
    monkeypatch.setattr("xietong.core.pagination.PER_PAGE", 2)
    client = login(reader)
    first = client.get(LIST, {"sort": "code"})
    assert names(first) == ["切削液", "五轴加工中心"] and first.context["page"]["count"] == 3
    second = client.get(LIST, {"sort": "code", "after": first.context["page"]["next_cursor"]})
    assert names(second) == ["监护仪"]


def test_money_is_formatted_and_the_cost_shows_only_to_those_who_may_edit(head, rep, products):
    page = login(rep).get(LIST).content.decode()
    assert "¥1,280,000.00" in page and "¥680.50" in page
    assert "900,000.00" not in page and "xt-cost" not in page
    page = login(head).get(LIST).content.decode()
    assert "¥900,000.00" in page  # BU1's product: the head edits it
    assert "¥300.00" not in page  # the whole group's product: the head only reads it


def test_the_htmx_request_gets_only_the_results(rep, products):
    response = login(rep).get(LIST, headers={"HX-Request": "true", "HX-Target": "product-results"})
    body = response.content.decode()
    assert 'id="product-count" hx-swap-oob="true"' in body and "<html" not in body


def test_the_list_costs_the_same_number_of_queries_for_more_rows(head, org, tree, products):
    client = login(head)
    assert_queries_constant(
        lambda: client.get(LIST),
        lambda: [ProductFactory(business_unit=org["bu1"], category=tree["cnc"]) for _ in range(4)],
        max_queries=20,
    )


def test_the_list_needs_catalogue_view(org):
    from tests.support.factories import UserFactory

    assert login(UserFactory(username="nobody", primary_team=org["shanghai"])).get(LIST).status_code == 403


# --- the product page -------------------------------------------------------------------------------


def test_the_product_page_shows_the_facts_and_hides_the_cost_from_readers(head, rep, products):
    url = f"/catalog/products/{products['bu1'].pk}/"
    page = login(rep).get(url).content.decode()
    assert "五轴加工中心" in page and "¥1,280,000.00" in page and "IND-001" in page
    assert "product-cost" not in page and "900,000.00" not in page and "product-edit" not in page
    page = login(head).get(url).content.decode()
    assert 'id="product-cost"' in page and "¥900,000.00" in page and "product-edit" in page


def test_a_product_outside_the_scope_answers_404_like_a_missing_one(head, products):
    client = login(head)
    for url in (
        f"/catalog/products/{products['bu2'].pk}/",
        f"/catalog/products/{products['bu2'].pk}/edit/",
        f"/catalog/products/{products['bu2'].pk}/image/",
        "/catalog/products/999999/",
    ):
        assert client.get(url).status_code == 404, url


def test_readers_get_403_on_the_edit_form_of_a_product_they_see(rep, products):
    assert login(rep).get(f"/catalog/products/{products['bu1'].pk}/edit/").status_code == 403


def test_the_image_is_streamed_after_the_visibility_check(head, outsider_head, org):
    product = services.product_create(
        actor=head,
        fields={"code": "IMG-1", "name": "带图产品", "list_price": "1", "tax_rate": "13"},
        business_unit=org["bu1"],
        image=upload("图.png", png_bytes(), "image/png"),
    )
    response = login(head).get(f"/catalog/products/{product.pk}/image/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()
    assert login(outsider_head).get(f"/catalog/products/{product.pk}/image/").status_code == 404
    page = login(head).get(f"/catalog/products/{product.pk}/").content.decode()
    assert f'src="/catalog/products/{product.pk}/image/"' in page


def test_a_product_without_an_image_answers_404_on_the_image(rep, products):
    assert login(rep).get(f"/catalog/products/{products['group'].pk}/image/").status_code == 404


# --- the form ---------------------------------------------------------------------------------------

FORM = {
    "code": "FORM-1",
    "name": "表单产品",
    "specification": "S-1",
    "unit": "套",
    "list_price": "2500.50",
    "cost": "1000",
    "tax_rate": "13",
    "product_line": "加工中心",
    "category": "",
    "business_unit": "",
    "status": "active",
    "description": "",
}


def test_creating_a_product_from_the_form(head, org, tree):
    data = {**FORM, "business_unit": org["bu1"].pk, "category": tree["cnc"].pk}
    data["image"] = upload("p.png", png_bytes(), "image/png")
    response = login(head).post("/catalog/products/new/", data)
    product = Product.objects.get(code="FORM-1")
    assert response.status_code == 303 and response["Location"] == f"/catalog/products/{product.pk}/"
    assert (product.list_price, product.cost, product.category, product.business_unit) == (
        Decimal("2500.50"),
        Decimal("1000.00"),
        tree["cnc"],
        org["bu1"],
    )
    assert product.image.name.startswith("products/")


def test_form_errors_are_shown_next_to_the_field_and_keep_the_input(head, org):
    data = {**FORM, "business_unit": org["bu1"].pk, "tax_rate": "150", "list_price": "-3"}
    response = login(head).post("/catalog/products/new/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert sorted(form.errors) == ["list_price", "tax_rate"]
    page = response.content.decode()
    assert 'value="FORM-1"' in page and 'value="表单产品"' in page and 'value="150"' in page
    assert Product.objects.count() == 0


def test_a_service_refusal_lands_on_its_field(head, org, products):
    response = login(head).post("/catalog/products/new/", {**FORM, "code": "ind-001", "business_unit": org["bu1"].pk})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]


def test_the_form_offers_only_the_bus_of_the_scope(head, curator, org):
    choices = login(head).get("/catalog/products/new/").context["form"].fields["business_unit"].choices
    assert [str(v) for v, _ in choices] == [str(org["bu1"].pk)]
    choices = login(curator).get("/catalog/products/new/").context["form"].fields["business_unit"].choices
    every = [
        str(pk) for pk in BusinessUnit.objects.filter(is_active=True).order_by("code").values_list("pk", flat=True)
    ]
    assert [str(v) for v, _ in choices] == ["group", *every]
    response = login(head).post("/catalog/products/new/", {**FORM, "business_unit": org["bu2"].pk})
    assert list(response.context["form"].errors) == ["business_unit"]


def test_editing_a_product_changes_it_and_its_status(head, products):
    product = products["bu1"]
    client = login(head)
    form = client.get(f"/catalog/products/{product.pk}/edit/").context["form"]
    assert form.initial["code"] == "IND-001" and form.initial["business_unit"] == str(product.business_unit_id)
    data = {
        **FORM,
        "code": "IND-001",
        "name": "五轴加工中心 II",
        "business_unit": product.business_unit_id,
        "category": product.category_id,
        "status": "inactive",
    }
    response = client.post(f"/catalog/products/{product.pk}/edit/", data)
    assert response.status_code == 303
    product.refresh_from_db()
    assert (product.name, product.status, product.list_price) == ("五轴加工中心 II", "inactive", Decimal("2500.50"))


# --- exports ----------------------------------------------------------------------------------------


def _headers(with_cost: bool) -> list[str]:
    with translation.override("zh-hans"):
        return [str(c.header) for c in product_columns(with_cost=with_cost)]


def test_the_csv_export_is_exact_applies_visibility_and_hides_costs_from_readers(reader, products):
    ProductFactory(code="=CMD", name="+SUM(A1)", specification="@x", list_price=Decimal("1.00"), product_line="")
    response = login(reader).get("/catalog/products/export/", {"format": "csv", "sort": "code"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == _headers(with_cost=False)
    with translation.override("zh-hans"):
        group, on_sale = str(translation.gettext("The whole group")), str(Product(status="active").get_status_display())
    assert rows[1:] == [
        ["'=CMD", "'+SUM(A1)", "'@x", "台", "1.00", "13.00", "", "", group, on_sale],
        ["GRP-001", "切削液", "20L", "桶", "680.50", "13.00", "耗材", "耗材", group, on_sale],
        [
            "IND-001",
            "五轴加工中心",
            "VMC-850",
            "台",
            "1280000.00",
            "13.00",
            "加工中心",
            "五轴",
            "工业设备事业部",
            on_sale,
        ],
        ["MED-001", "监护仪", "M-12", "台", "36000.00", "13.00", "监护", "", "医疗器械事业部", on_sale],
    ]


def test_the_excel_export_applies_the_filters_and_the_bu_scope_with_costs_for_editors(head, products):
    response = login(head).get("/catalog/products/export/", {"sort": "code"})
    assert response["Content-Type"] == CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == _headers(with_cost=True)
    # the export scope (visibility.ProductPolicy): the whole group's products (no cost: the head only
    # reads them) and BU1's with their cost; no BU2 product
    assert [(r[0], r[5]) for r in rows[1:]] == [("GRP-001", None), ("IND-001", 900000)]
    assert rows[2][4] == 1280000


def test_the_export_applies_the_filters(curator, products):
    response = login(curator).get("/catalog/products/export/", {"q": "切削"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [(row[0].value, row[5].value) for row in sheet.iter_rows(min_row=2)] == [("GRP-001", 300)]


def test_the_export_needs_catalogue_export(rep, products):
    assert login(rep).get("/catalog/products/export/").status_code == 403


# --- the category tree ------------------------------------------------------------------------------


def test_the_tree_is_read_only_for_readers_and_editable_for_group_administrators(rep, curator, tree):
    page = login(rep).get("/catalog/categories/").content.decode()
    assert "五轴" in page and "category-add" not in page and "/edit/" not in page
    assert login(rep).get(f"/catalog/categories/{tree['cnc'].pk}/edit/").status_code == 403
    assert login(rep).post("/catalog/categories/new/", {"name": "新"}).status_code == 403
    page = login(curator).get("/catalog/categories/").content.decode()
    assert "category-add" in page and f"/catalog/categories/{tree['cnc'].pk}/edit/" in page
    nodes = [n.category.name for n in login(curator).get("/catalog/categories/").context["nodes"]]
    assert nodes == ["机床", "数控机床", "五轴", "普通机床", "耗材"]


def test_adding_and_moving_categories_from_the_pages(curator, tree):
    client = login(curator)
    response = client.post("/catalog/categories/new/", {"name": "三轴", "parent": tree["cnc"].pk, "position": "2"})
    assert response.status_code == 303
    three = ProductCategory.objects.get(name="三轴")
    assert three.path == f"{tree['cnc'].path}{three.pk}/"
    url = f"/catalog/categories/{tree['cnc'].pk}/edit/"
    choices = [v for v, _ in client.get(url).context["form"].fields["parent"].choices]
    assert tree["five"].pk not in choices and tree["cnc"].pk not in choices
    response = client.post(url, {"name": "数控", "parent": tree["supplies"].pk, "position": "0", "is_active": "on"})
    assert response.status_code == 303
    three.refresh_from_db()
    assert three.path == f"/{tree['supplies'].pk}/{tree['cnc'].pk}/{three.pk}/"
    response = client.post(url, {"name": "数控", "parent": three.pk, "position": "0", "is_active": "on"})
    assert response.status_code == 200 and list(response.context["form"].errors) == ["parent"]


def test_navigation_and_search(reader, products):
    client = login(reader)
    page = client.get(LIST).content.decode()
    assert 'href="/catalog/products/"' in page
    assert 'href="/catalog/categories/"' in page  # the page's own link; the settings entry needs "administer"
    response = client.get("/search/", {"q": "监护"})
    assert f"/catalog/products/{products['bu2'].pk}/" in response.content.decode()


def test_editing_keeps_replaces_or_clears_the_image(head, org):
    product = services.product_create(
        actor=head,
        fields={"code": "IMG-2", "name": "带图", "list_price": "1", "tax_rate": "13"},
        business_unit=org["bu1"],
        image=upload("a.png", png_bytes(), "image/png"),
    )
    first = product.image.name
    data = {**FORM, "code": "IMG-2", "name": "带图 改", "business_unit": org["bu1"].pk}
    client = login(head)
    assert client.post(f"/catalog/products/{product.pk}/edit/", data).status_code == 303
    product.refresh_from_db()
    assert (product.name, product.image.name) == ("带图 改", first)
    data["image"] = upload("b.png", png_bytes(color="#00ff00"), "image/png")
    assert client.post(f"/catalog/products/{product.pk}/edit/", data).status_code == 303
    product.refresh_from_db()
    assert product.image.name not in ("", first)
    data.pop("image")
    assert client.post(f"/catalog/products/{product.pk}/edit/", {**data, "image-clear": "on"}).status_code == 303
    product.refresh_from_db()
    assert product.image.name == ""
