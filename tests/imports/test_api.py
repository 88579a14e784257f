"""``/api/v1/imports`` and ``/api/v1/exports``: upload and run in the background, progress, error
report, exports with visibility applied and formula-safe cells."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext
from openpyxl import load_workbook

from tests.conftest import login
from tests.imports.conftest import csv_bytes
from tests.support.crm import CustomerFactory, LeadFactory, owned
from tests.support.queries import assert_queries_constant
from xietong.customers.models import Customer
from xietong.imports.models import ImportJob

pytestmark = pytest.mark.django_db

ROWS = [
    ["公司名称", "统一社会信用代码", "省份", "备注列"],
    ["华为技术有限公司", "91310000MA1FL0000N", "广东省", "x"],
    ["坏公司", "123", "", ""],
    ["小米科技有限公司", "", "北京市", ""],
]


def post_import(client, data: bytes, name: str = "客户.csv", **form):
    return client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile(name, data), "target": "customers", **form},
    )


def test_an_uploaded_csv_is_imported_in_the_background_with_progress_and_errors(
    org, rep, django_capture_on_commit_callbacks
):
    client = login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(client, csv_bytes(ROWS, "gbk"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["target"], body["encoding"], body["business_unit_id"]) == ("customers", "gb18030", org["bu1"].pk)
    assert body["mapping"] == {"公司名称": "name", "统一社会信用代码": "credit_code", "省份": "province"}

    status = client.get(f"/api/v1/imports/{body['id']}").json()
    assert (status["status"], status["processed_rows"], status["percent"]) == ("done", 3, 100)
    assert (status["created_count"], status["error_count"]) == (2, 1)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["华为技术有限公司", "小米科技有限公司"]

    errors = client.get(f"/api/v1/imports/{body['id']}/errors").json()
    assert errors == [
        {
            "line": 3,
            "column": "统一社会信用代码",
            "reason": gettext("Enter a valid 18-character unified social credit code."),
        }
    ]
    as_csv = client.get(f"/api/v1/imports/{body['id']}/errors?format=csv")
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(as_csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].startswith("3,统一社会信用代码,")
    as_xlsx = client.get(f"/api/v1/imports/{body['id']}/errors?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(as_xlsx.streaming_content))).active
    assert [c.value for c in sheet[2]] == [3, "统一社会信用代码", errors[0]["reason"]]


def test_a_mapping_and_options_can_be_given(org, rep, django_capture_on_commit_callbacks):
    client = login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_import(
            client,
            csv_bytes(ROWS),
            mapping=json.dumps({"公司名称": "name", "备注列": "notes"}),
            dry_run="true",
        )
    assert response.status_code == 201, response.content
    job = ImportJob.objects.get()
    assert (job.dry_run, job.created_count, job.status) == (True, 3, "done")
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"mapping": json.dumps({"省份": "province"})}, "mapping"),
        ({"mapping": "not json"}, "mapping"),
        ({"target": "orders"}, "target"),
        ({"duplicate_mode": "merge"}, "duplicate_mode"),
        ({"business_unit_id": "999999"}, "business_unit_id"),
    ],
)
def test_bad_options_are_refused_naming_the_field_and_leave_nothing(org, rep, imports_root, form, field):
    response = post_import(login(rep), csv_bytes(ROWS), **form)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert ImportJob.objects.count() == 0
    assert not any(p.is_file() for p in imports_root.rglob("*")) if imports_root.exists() else True


def test_a_file_that_is_not_a_table_is_refused(org, rep):
    response = post_import(login(rep), b"\x00\x01", name="x.exe")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_importing_into_a_bu_without_the_create_right_is_refused(org, rep):
    response = post_import(login(rep), csv_bytes(ROWS), business_unit_id=str(org["bu2"].pk))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "business_unit"


def test_someone_without_create_gets_403(org):
    from tests.support.factories import UserFactory

    nobody = UserFactory(username="nobody", primary_team=org["shanghai"])
    assert post_import(login(nobody), csv_bytes(ROWS)).status_code == 403


def test_another_persons_import_answers_404(org, rep, colleague, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_import(login(rep), csv_bytes(ROWS)).json()["id"]
    client = login(colleague)
    assert client.get(f"/api/v1/imports/{job_id}").status_code == 404
    assert client.get(f"/api/v1/imports/{job_id}/errors").status_code == 404
    assert client.get("/api/v1/imports").json()["results"] == []


def test_the_import_list_costs_the_same_queries_however_many_jobs(org, rep, django_capture_on_commit_callbacks):
    client = login(rep)

    def add() -> None:
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                post_import(client, csv_bytes(ROWS))

    add()
    assert_queries_constant(lambda: client.get("/api/v1/imports"), add)


# --- exports -----------------------------------------------------------------------------------------


def run_export(client, payload, capture):
    with capture(execute=True):
        response = client.post("/api/v1/exports", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    job = client.get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["status"] == "done"
    return job, client.get(f"/api/v1/exports/{job['id']}/download")


def test_export_writes_only_what_the_user_may_export_and_no_formula_runs(
    org, head, rep, outsider, django_capture_on_commit_callbacks
):
    owned(CustomerFactory(name='=HYPERLINK("http://x")', province="上海市"), owner=rep)
    owned(CustomerFactory(name="华为技术有限公司", province="广东省"), owner=rep)
    owned(CustomerFactory(name="外部客户"), owner=outsider)
    job, response = run_export(
        login(head), {"target": "customers", "format": "xlsx"}, django_capture_on_commit_callbacks
    )
    assert job["rows"] == 2
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = sorted(row[0].value for row in sheet.iter_rows(min_row=2))
    assert names == ['\'=HYPERLINK("http://x")', "华为技术有限公司"]


def test_export_as_csv_with_filters(org, head, rep, django_capture_on_commit_callbacks):
    LeadFactory(owner=rep, company="-2+3", province="上海市")
    LeadFactory(owner=rep, company="乙公司", province="江苏省")
    job, response = run_export(
        login(head),
        {"target": "leads", "format": "csv", "filters": {"province": "上海市"}},
        django_capture_on_commit_callbacks,
    )
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert job["rows"] == 1
    assert lines[1].startswith("'-2+3,")


def test_export_refuses_unknown_filters_and_users_without_export(org, head, rep):
    response = login(head).post(
        "/api/v1/exports",
        json.dumps({"target": "customers", "filters": {"colour": "red", "created_after": "yesterday"}}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["filters.colour", "filters.created_after"]
    denied = login(rep).post("/api/v1/exports", json.dumps({"target": "customers"}), content_type="application/json")
    assert denied.status_code == 403


def test_another_persons_export_answers_404(org, head, rep, django_capture_on_commit_callbacks):
    job, _response = run_export(login(head), {"target": "leads"}, django_capture_on_commit_callbacks)
    client = login(rep)
    assert client.get(f"/api/v1/exports/{job['id']}").status_code == 404
    assert client.get(f"/api/v1/exports/{job['id']}/download").status_code == 404
