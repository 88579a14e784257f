"""Files on a team record in Chromium: the BU head attaches a photo with the file input and drops a
PDF on the drop zone, sees them listed (the photo with its thumbnail) and downloads the photo; a
supply planner, from another department, who sees the team downloads the PDF and previews it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.e2e.conftest import log_in, open_page, shot
from tests.support.factories import pdf_bytes, png_bytes
from xietong.collaboration.models import Attachment
from xietong.org.models import Team, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DROP = """([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type: "application/pdf" }));
  const zone = document.querySelector("section.xt-files .xt-dropzone-target");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
  }
}"""


def test_a_file_is_attached_listed_with_its_thumbnail_and_downloaded_across_departments(
    live_server, browser, page, attachment_storage, tmp_path
):
    call_command("demo_data", "--no-logins", verbosity=0)
    base = live_server.url
    planner = User.objects.get(username="xu.gang")  # supply planner of 工业设备事业部
    team = Team.objects.get(pk=planner.primary_team_id)  # the supply planning team

    log_in(page, base, "dong.jie", "demo12345")  # the BU head (management) sees every team of the BU
    page.goto(f"{base}/org/teams/{team.pk}/")
    photo = tmp_path / "产线照片.png"
    photo.write_bytes(png_bytes((800, 600), color="#52c41a"))
    # choosing a file sends it at once (app.js); the panel comes back with it
    page.locator("section.xt-files input[type=file]").set_input_files(str(photo))
    page.locator("section.xt-files .xt-file-thumb").wait_for()
    # dropping a file on the zone does the same
    page.evaluate(DROP, ["第一季度报价单.pdf", base64.b64encode(pdf_bytes("Quote Q1")).decode()])
    page.locator("section.xt-files .xt-file-name", has_text="第一季度报价单.pdf").wait_for()
    names = page.locator("section.xt-files .xt-file-name").all_inner_texts()
    assert names == ["第一季度报价单.pdf", "产线照片.png"]
    thumb = page.locator("section.xt-files .xt-file-thumb")
    assert thumb.evaluate("img => img.complete && img.naturalWidth") == 320  # the WebP thumbnail loaded
    assert page.locator("section.xt-files .bi-file-earmark-pdf").count() == 1
    # the timeline on the same page reloaded by itself (htmx event "xt-record-changed")
    page.locator(".xt-timeline .xt-kind-file", has_text="第一季度报价单.pdf").wait_for()
    shot(page, "14-team-files")

    with page.expect_download() as info:
        page.locator("section.xt-files .xt-file-name", has_text="产线照片.png").click()
    assert info.value.suggested_filename == "产线照片.png"
    assert Path(info.value.path()).read_bytes() == photo.read_bytes()

    other = open_page(browser)
    log_in(other, base, planner.username, "demo12345")
    other.goto(f"{base}/org/teams/{team.pk}/")
    row = other.locator("section.xt-files li.xt-file", has_text="第一季度报价单.pdf")
    assert other.locator(".xt-timeline .xt-kind-file").count() == 2  # the uploads are in the record's timeline
    shot(other, "15-team-files-other-department")
    with other.expect_download() as info:
        row.locator(".xt-file-actions a[href$='/download/']").click()
    assert info.value.suggested_filename == "第一季度报价单.pdf"
    assert Path(info.value.path()).read_bytes() == pdf_bytes("Quote Q1")
    # the preview opens the browser's PDF viewer in a new tab, sandboxed
    with other.context.expect_page() as opened:
        row.locator(".xt-file-actions a[href$='/preview/']").click()
    viewer = opened.value
    viewer.wait_for_load_state()
    pdf = Attachment.objects.get(name="第一季度报价单.pdf")
    assert viewer.url == f"{base}/collaboration/attachments/{pdf.pk}/preview/"
    viewer.wait_for_timeout(1000)  # let the viewer paint
    shot(viewer, "16-pdf-preview")
    assert Attachment.objects.filter(deleted_at__isnull=True).count() == 2
