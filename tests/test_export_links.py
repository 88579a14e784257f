"""A list filtered in place (htmx) exports what it shows: the Export link and the count follow the
filters (they kept the first page load's query, so the file held every row)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

LISTS = [
    ("/receivables/payments/", "payment-results", "kind=refund", "payment-export", "payment-count"),
    ("/receivables/invoices/", "invoice-results", "q=%E5%8D%8E%E4%B8%9C", "invoice-export", "invoice-count"),
    ("/receivables/aging/", "aging-body", "group_by=owner", "aging-export", None),
    ("/contracts/", "contract-results", "status=draft", "contract-export", "contract-count"),
    ("/orders/", "order-results", "status=new", "order-export", "order-count"),
]


@pytest.mark.parametrize(("url", "target", "query", "export_id", "count_id"), LISTS)
def test_the_export_link_and_the_count_follow_filters_applied_in_place(
    admin_client, url, target, query, export_id, count_id
):
    response = admin_client.get(f"{url}?{query}", headers={"HX-Request": "true", "HX-Target": target})
    assert response.status_code == 200
    html = response.content.decode()
    link = re.search(rf'<a [^>]*id="{export_id}"[^>]*>', html)
    assert link is not None, f"{url}: no export link in the fragment"
    assert 'hx-swap-oob="true"' in link.group(0)
    href = re.search(r'href="([^"]*)"', link.group(0)).group(1).replace("&amp;", "&")
    assert query in href
    if count_id:
        assert re.search(rf'id="{count_id}" hx-swap-oob="true"', html)
    # the full page has the link once, without the out-of-band marker
    page = admin_client.get(f"{url}?{query}").content.decode()
    assert page.count(f'id="{export_id}"') == 1 and 'hx-swap-oob="true"' not in re.search(
        rf'<a [^>]*id="{export_id}"[^>]*>', page
    ).group(0)
