"""The import wizard pages: upload → mapping and preview → progress → result, and my imports."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext
from openpyxl import load_workbook

from tests.conftest import login
from tests.imports.conftest import csv_bytes, xlsx_bytes
from tests.support.queries import assert_queries_constant
from xietong.customers.models import Customer
from xietong.imports.fields import CUSTOMERS
from xietong.imports.models import ImportJob, SavedMapping
from xietong.leads.models import Lead

pytestmark = pytest.mark.django_db

ROWS = [
    ["公司名称", "手机号", "客户级别", "说明"],
    ["上海华为技术有限公司", "13800138000", "A", "老客户"],
    ["北京小米科技有限公司", "", "Z", ""],
]


def upload(client, data: bytes, name: str = "客户.csv", target: str = "customers", bu=None):
    return client.post(
        "/imports/new/",
        {"target": target, "business_unit": bu.pk if bu else "", "file": SimpleUploadedFile(name, data)},
    )


def test_the_wizard_uploads_maps_runs_and_shows_the_result(org, rep, django_capture_on_commit_callbacks):
    client = login(rep)
    assert client.get("/imports/new/?target=customers").status_code == 200
    response = upload(client, csv_bytes(ROWS, "utf-8-sig"), bu=org["bu1"])
    job = ImportJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/imports/{job.pk}/"
    assert job.mapping == {"公司名称": "name", "客户级别": "level", "说明": "notes"}

    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200
    assert "上海华为技术有限公司" in page.content.decode()  # the preview

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/imports/{job.pk}/",
            {
                "col_0": "name",
                "col_1": "",
                "col_2": "level",
                "col_3": "industry",
                "duplicate_mode": "skip",
                "save_mapping_as": "客户模板",
            },
        )
    assert response.status_code == 303
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 1, 1)
    assert job.mapping == {"公司名称": "name", "客户级别": "level", "说明": "industry"}
    assert Customer.objects.get().industry == "老客户"
    assert SavedMapping.objects.get(owner=rep).mapping == job.mapping

    result = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="import-error-table"' in result
    report = client.get(f"/imports/{job.pk}/errors/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert [c.value for c in sheet[2]][:2] == [3, "客户级别"]

    # the same headers next time: the saved mapping is proposed
    upload(client, csv_bytes(ROWS), bu=org["bu1"])
    assert ImportJob.objects.latest("pk").mapping == {"公司名称": "name", "客户级别": "level", "说明": "industry"}


def test_a_mapping_without_the_required_field_is_shown_again_with_the_error(org, rep):
    client = login(rep)
    upload(client, csv_bytes(ROWS), bu=org["bu1"])
    job = ImportJob.objects.get()
    response = client.post(f"/imports/{job.pk}/", {"col_0": "", "col_2": "level", "duplicate_mode": "skip"})
    assert response.status_code == 200
    expected = gettext("Map a column to: %(names)s.") % {"names": CUSTOMERS.get("name").label}
    assert expected in response.content.decode()
    job.refresh_from_db()
    assert job.status == "queued"


def test_an_unreadable_file_is_an_error_on_the_form(org, rep):
    response = upload(login(rep), b"\x00", name="a.pdf", bu=org["bu1"])
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0


def test_progress_fragment_polls_while_running(org, rep):
    client = login(rep)
    upload(client, xlsx_bytes(ROWS), name="客户.xlsx", bu=org["bu1"])
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="running", total_rows=10, processed_rows=4)
    fragment = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-progress")
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.lstrip().startswith('<section class="xt-card" id="import-progress"')
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="40"' in html


def dry_run(org, rep, capture_on_commit):
    """A lead file uploaded and run as a dry run by ``rep``: the client and the job."""
    client = login(rep)
    upload(client, csv_bytes([["联系人", "手机"], ["张三", "13800138000"]]), target="leads", bu=org["bu1"])
    job = ImportJob.objects.get()
    with capture_on_commit(execute=True):
        client.post(
            f"/imports/{job.pk}/",
            {"col_0": "contact_name", "col_1": "mobile", "duplicate_mode": "skip", "dry_run": "on"},
        )
    return client, job


def test_a_dry_run_then_the_real_import(org, rep, django_capture_on_commit_callbacks):
    client, job = dry_run(org, rep, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.dry_run, job.created_count, Lead.objects.count()) == (True, 1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/repeat/")
    assert response.status_code == 303
    real = ImportJob.objects.latest("pk")
    assert (real.dry_run, real.status, real.created_count) == (False, "done", 1)
    assert Lead.objects.get().contact_name == "张三"


def test_repeating_a_dry_run_whose_mapping_no_longer_holds_says_why(org, rep, django_capture_on_commit_callbacks):
    from django.contrib.messages import get_messages

    client, job = dry_run(org, rep, django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=job.pk).update(mapping={"联系人": "no_such_field"})  # e.g. a field since removed

    response = client.post(f"/imports/{job.pk}/repeat/")

    assert (response.status_code, response["Location"]) == (303, f"/imports/{job.pk}/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "没有这些字段：no_such_field。 请为以下字段映射一列：联系人姓名。"
    ]
    assert ImportJob.objects.count() == 1


def test_someone_elses_import_pages_answer_404(org, rep, colleague):
    upload(login(rep), csv_bytes(ROWS), bu=org["bu1"])
    job = ImportJob.objects.get()
    client = login(colleague)
    for url in (f"/imports/{job.pk}/", f"/imports/{job.pk}/errors/?format=csv"):
        assert client.get(url).status_code == 404
    assert client.post(f"/imports/{job.pk}/repeat/").status_code == 404


def test_without_create_rights_the_wizard_is_refused(org):
    from tests.support.factories import UserFactory

    nobody = UserFactory(username="nobody", primary_team=org["shanghai"])
    assert login(nobody).get("/imports/new/?target=leads").status_code == 403


def test_my_imports_list_costs_the_same_queries_however_many_jobs(org, rep):
    client = login(rep)

    def add() -> None:
        for _ in range(3):
            upload(client, csv_bytes(ROWS), bu=org["bu1"])

    add()
    assert_queries_constant(lambda: client.get("/imports/"), add)
