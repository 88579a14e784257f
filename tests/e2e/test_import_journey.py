"""The import wizard in Chromium: a rep uploads a customer CSV with some bad rows, checks the mapping,
starts the import, waits for the progress bar to finish, reads the rows with errors (line numbers
as in the file) and downloads the error report."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.e2e.conftest import log_in, shot
from xietong.customers.models import Customer, Relationship
from xietong.imports.models import ImportJob
from xietong.org.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = ["客户名称", "统一社会信用代码", "行业", "省份", "城市", "客户级别", "网址", "内部编号"]
ROWS = [  # line 1 is the header: the first customer is on line 2
    ["无锡华晟精密铸造有限公司", "", "铸造", "江苏省", "无锡市", "B", "www.huasheng-casting.cn", "K-001"],
    ["温州瓯江阀门制造有限公司", "", "阀门", "浙江省", "温州市", "C", "", "K-002"],
    ["南通海联重型机械有限公司", "91320600ABCDEFGHIJ", "重型机械", "江苏省", "南通市", "A", "", "K-003"],  # bad code
    ["嘉兴长湖智能装备有限公司", "", "智能装备", "浙江省", "嘉兴市", "A", "", "K-004"],
    ["", "", "机床", "上海市", "上海市", "B", "", "K-005"],  # no name
    ["常州武进数控机床有限公司", "", "机床", "江苏省", "常州市", "Z", "", "K-006"],  # no such level
    ["绍兴柯桥纺织机械有限公司", "", "纺织机械", "浙江省", "绍兴市", "C", "", "K-007"],
]
GOOD = ["无锡华晟精密铸造有限公司", "温州瓯江阀门制造有限公司", "嘉兴长湖智能装备有限公司", "绍兴柯桥纺织机械有限公司"]
BAD_LINES = [4, 6, 7]


def csv_file(path: Path) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([HEADER, *ROWS])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def test_a_customer_csv_with_bad_rows_is_imported_and_the_error_report_downloaded(
    live_server, page, settings, tmp_path
):
    call_command("demo_data", "--no-logins", verbosity=0)
    settings.IMPORTS_ROOT = tmp_path / "imports"
    base = live_server.url
    rep = User.objects.get(username="sun.yan")  # a sales rep of 工业设备事业部
    upload = csv_file(tmp_path / "展会客户名单.csv")

    # 1. My imports (none yet) → a new import of customers into the rep's business unit.
    log_in(page, base, rep.username, "demo12345")
    page.goto(f"{base}/imports/")
    page.locator("main a[href='/imports/new/']").first.click()
    page.wait_for_url(f"{base}/imports/new/")
    assert page.locator("select[name=target]").input_value() == "customers"
    assert page.locator("select[name=business_unit]").input_value() == str(rep.business_unit_id)
    page.locator("input[name=file]").set_input_files(str(upload))
    shot(page, "40-import-upload")
    page.locator("#import-upload button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{base}/imports/\d+/$"))
    job = ImportJob.objects.get(actor=rep)

    # 2. The mapping: recognised headers are mapped, the internal number is left out; the preview
    # shows the first rows.
    mapping = page.locator("#import-mapping")
    mapping.wait_for()
    assert mapping.locator("select[name=col_0]").input_value() == "name"
    assert mapping.locator("select[name=col_5]").input_value() == "level"
    assert mapping.locator("select[name=col_7]").input_value() == ""  # 内部编号: not imported
    assert mapping.locator(".xt-import-preview tbody tr").count() == len(ROWS)
    assert mapping.locator("input[name=duplicate_mode][value=skip]").is_checked()
    shot(page, "41-import-mapping")
    mapping.get_by_role("button", name=re.compile("Start the import|开始导入")).click()

    # 3. The progress bar runs to the end (the test settings run tasks at once, so it may already be
    # there), then the result with the rows that failed.
    page.wait_for_url(f"{base}/imports/{job.pk}/")
    bar = page.locator("#import-progress .progress-bar")
    bar.wait_for()
    page.wait_for_function(
        "() => { const bar = document.querySelector('#import-progress .progress-bar');"
        " return bar && bar.style.width === '100%' && !bar.classList.contains('progress-bar-animated'); }"
    )
    table = page.locator("#import-error-table")
    table.wait_for()
    assert page.locator("#import-created").inner_text().strip() == str(len(GOOD))
    assert page.locator("#import-errors").inner_text().strip() == str(len(BAD_LINES))
    lines = [int(text) for text in table.locator("tbody tr td:first-child").all_inner_texts()]
    assert lines == BAD_LINES
    shot(page, "42-import-result")

    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", len(GOOD), len(BAD_LINES))
    created = Customer.objects.filter(name__in=GOOD)
    assert created.count() == len(GOOD)
    assert set(Relationship.objects.filter(customer__in=created).values_list("owner", flat=True)) == {rep.pk}

    # 4. The error report as CSV: one row per error, with the line number of the file.
    with page.expect_download() as info:
        page.locator("a[href$='/errors/?format=csv']").click()
    report = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert [int(row[0]) for row in rows[1:]] == BAD_LINES
    assert info.value.suggested_filename.endswith(".csv")

    # 5. The job is in "my imports", with its counts.
    page.goto(f"{base}/imports/")
    row = page.locator("main table tbody tr", has_text=upload.name)
    assert row.is_visible()
    shot(page, "43-import-list")
