"""Attachments on records and comments: checked content (not names or the client's word), limits,
sanitised names that render inert, thumbnails without EXIF, safe download and preview headers,
deletes that keep a trace, the record's visibility on every path and fixed query counts."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core import checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from PIL import Image

from tests.conftest import login
from tests.support.factories import UserFactory, grant, make_role, pdf_bytes, png_bytes, upload
from tests.support.queries import assert_queries_constant
from xietong.collaboration import attachments, comments, timeline
from xietong.collaboration.models import Attachment, Comment
from xietong.collaboration.registry import record_key
from xietong.core import events
from xietong.core.choices import DataScope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("attachment_storage")]

HTMX = {"HX-Request": "true"}
SANDBOX = "sandbox; default-src 'none'; frame-ancestors 'none'"


@pytest.fixture
def people(org):
    """The record is the supply team. 王芳 (group-wide view) uploads; 李雷 (a member, own team only)
    sees it; 赵敏 may edit every team; 外人 (BU2, own teams only) sees nothing of BU1."""
    viewer = make_role("viewer", {"org": (DataScope.GROUP, {"view"})})
    own = make_role("own-teams", {"org": (DataScope.SELF, {"view"})})
    editor_role = make_role("editor", {"org": (DataScope.GROUP, {"view", "edit"})})
    author = UserFactory(username="wang", display_name="王芳", primary_team=org["supply"])
    grant(author, viewer)
    colleague = UserFactory(username="lilei", display_name="李雷", primary_team=org["supply"])
    grant(colleague, own)
    editor = UserFactory(username="zhao", display_name="赵敏", primary_team=org["east"])
    grant(editor, editor_role)
    outsider = UserFactory(username="outsider", display_name="外人", primary_team=org["north"])
    grant(outsider, own)
    return {
        "author": author,
        "colleague": colleague,
        "editor": editor,
        "outsider": outsider,
        "record": org["supply"],
    }


def add(people, *files, who="author", comment=None):
    return attachments.attachments_add(actor=people[who], record=people["record"], files=list(files), comment=comment)


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def content(response) -> bytes:
    return b"".join(response.streaming_content)


# --- what is stored ---------------------------------------------------------------------------------


def test_an_image_is_stored_under_a_random_key_with_its_checked_type_hash_and_thumbnail(people, attachment_storage):
    data = png_bytes((640, 480))
    (a,) = add(people, upload("现场照片.png", data, content_type="text/html"))  # the client's claim is ignored
    assert (a.name, a.extension, a.mime_type, a.size) == ("现场照片.png", "png", "image/png", len(data))
    assert a.sha256 == hashlib.sha256(data).hexdigest()
    assert a.file.name.startswith("files/") and a.file.name.endswith(".png") and "现场" not in a.file.name
    assert (attachment_storage / a.file.name).read_bytes() == data
    with Image.open(attachment_storage / a.thumbnail.name) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (320, 240))
    assert (a.uploader, a.comment, a.deleted_at) == (people["author"], None, None)


def test_a_thumbnail_is_upright_small_and_carries_no_exif(people, attachment_storage):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    exif[0x010F] = "SecretCam"  # make
    data = png_bytes((1000, 500), format="JPEG", exif=exif.tobytes())
    (a,) = add(people, upload("IMG_0001.JPG", data))
    assert (a.name, a.mime_type) == ("IMG_0001.JPG", "image/jpeg")
    with Image.open(attachment_storage / a.thumbnail.name) as thumb:
        assert thumb.size == (160, 320)  # turned upright, longer side 320
        assert dict(thumb.getexif()) == {}
        assert "exif" not in thumb.info
    assert (attachment_storage / a.file.name).read_bytes() == data  # the original stays as uploaded


def test_a_pdf_and_office_files_are_checked_by_content_and_get_no_thumbnail(people):
    pdf, docx = add(people, upload("报价单.pdf", pdf_bytes()), upload("纪要.docx", docx_bytes()))
    assert (pdf.mime_type, bool(pdf.thumbnail), pdf.previewable) == ("application/pdf", False, True)
    assert docx.mime_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert (bool(docx.thumbnail), docx.previewable) == (False, False)


# --- what is refused --------------------------------------------------------------------------------

REFUSED = {
    "a page renamed .png": (
        "logo.png",
        b"<html><script>alert(1)</script></html>",
        "“logo.png” is not a readable image.",
    ),
    "a page renamed .pdf": (
        "报价.pdf",
        b"<html><body>x</body></html>",
        "The content of “报价.pdf” is not what its name says (.pdf).",
    ),
    "a PNG named .docx": ("a.docx", png_bytes(), "The content of “a.docx” is not what its name says (.docx)."),
    "a zip named .xlsx": ("a.xlsx", docx_bytes(), "The content of “a.xlsx” is not what its name says (.xlsx)."),
    "binary named .txt": (
        "a.txt",
        b"MZ\x90\x00\x03\x00\x00\x00",
        "The content of “a.txt” is not what its name says (.txt).",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_content_that_is_not_what_the_name_says_is_refused(people, settings, case, attachment_storage):
    settings.LANGUAGE_CODE = "en"
    name, data, message = REFUSED[case]
    with pytest.raises(ValidationError) as exc:
        add(people, upload(name, data, content_type="image/png"))
    assert exc.value.message_dict == {"file": [message]}
    assert (Attachment.objects.count(), stored_files(attachment_storage)) == (0, [])


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "page.htm", "logo.svg", "noextension", ".pdf", "x.php"])
def test_types_outside_the_allow_list_are_refused_svg_and_html_even_when_configured(people, settings, name):
    settings.LANGUAGE_CODE = "en"
    settings.ATTACHMENT_ALLOWED_TYPES = [*settings.ATTACHMENT_ALLOWED_TYPES, "svg", "html", "htm"]
    with pytest.raises(ValidationError) as exc:
        add(people, upload(name, b"<svg xmlns='http://www.w3.org/2000/svg'/>"))
    assert list(exc.value.message_dict) == ["file"]
    assert exc.value.messages[0].startswith(
        f"“{attachments.clean_name(name) or '?'}”: this type of file is not accepted."
    )


def test_the_allow_list_and_the_size_limit_come_from_the_settings(people, settings):
    settings.LANGUAGE_CODE = "en"
    settings.ATTACHMENT_MAX_BYTES = 1000
    settings.ATTACHMENT_ALLOWED_TYPES = ["PDF", ".txt"]
    with pytest.raises(ValidationError) as exc:
        add(people, upload("big.pdf", pdf_bytes() + b"%" * 1000))
    assert exc.value.message_dict == {"file": ["“big.pdf” is 1.5\xa0KB; a file can be at most 1000\xa0bytes."]}
    with pytest.raises(ValidationError) as exc:
        add(people, upload("p.png", png_bytes()))
    assert exc.value.message_dict == {"file": ["“p.png”: this type of file is not accepted. Accepted: pdf, txt."]}
    assert [a.name for a in add(people, upload("ok.txt", b"hello"))] == ["ok.txt"]


def test_an_empty_file_and_no_file_are_refused(people, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as exc:
        add(people, upload("empty.pdf", b""))
    assert exc.value.message_dict == {"file": ["“empty.pdf” is empty."]}
    with pytest.raises(ValidationError) as exc:
        add(people)
    assert exc.value.message_dict == {"file": ["Choose a file."]}


def test_images_with_too_many_pixels_are_refused(people, settings, monkeypatch):
    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(attachments, "MAX_PIXELS", 1000)
    with pytest.raises(ValidationError) as exc:
        add(people, upload("big.png", png_bytes((64, 48))))
    assert exc.value.message_dict == {"file": ["“big.png” has too many pixels (at most 0 million)."]}
    monkeypatch.setattr(attachments, "MAX_PIXELS", 50_000_000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow's own guard: a decompression bomb
    with pytest.raises(ValidationError) as exc:
        add(people, upload("bomb.png", png_bytes((64, 48))))
    assert list(exc.value.message_dict) == ["file"]
    assert Attachment.objects.count() == 0


def test_one_refused_file_refuses_the_upload_and_leaves_no_bytes(people, settings, attachment_storage):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as exc:
        add(people, upload("good.pdf", pdf_bytes()), upload("bad.exe", b"MZ"), upload("bad.png", b"GIF89a"))
    assert exc.value.message_dict["file"] == [
        "“bad.exe”: this type of file is not accepted. Accepted: "
        "7z, csv, doc, docx, dps, dwg, et, gif, jpeg, jpg, md, odp, ods, odt, pdf, png, ppt, pptx, rar, txt, webp, "
        "wps, xls, xlsx, zip.",
        "“bad.png” is not a readable image.",
    ]
    assert (Attachment.objects.count(), stored_files(attachment_storage)) == (0, [])


def test_a_failed_write_removes_the_bytes_already_stored(people, attachment_storage, monkeypatch):
    real_save = Attachment.save
    calls = []

    def fail_on_second(self, *args, **kwargs):
        calls.append(self.name)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", fail_on_second)
    with pytest.raises(RuntimeError):
        add(people, upload("a.png", png_bytes()), upload("b.pdf", pdf_bytes()))
    assert (Attachment.objects.count(), stored_files(attachment_storage)) == (0, [])


# --- names ------------------------------------------------------------------------------------------

NAMES = {
    "../../etc/报价单.pdf": "报价单.pdf",
    "..\\..\\windows\\合同.pdf": "合同.pdf",
    "C:\\Users\\wang\\Desktop\\图纸.dwg": "图纸.dwg",
    "<img src=x onerror=alert(1)>.pdf": "_img src=x onerror=alert(1)_.pdf",
    "<script>alert(1)</script>.pdf": "script_.pdf",  # the "/" of the closing tag counts as a path
    'say "hi" | more?.txt': "say _hi_ _ more_.txt",
    "合同\u202efdp.exe.pdf": "合同fdp.exe.pdf",  # a right-to-left override would show "合同fdp.exe.pdf" reversed
    "a\u200bb\ufeff.pdf": "ab.pdf",
    "line\nbreak\r\tand\x00nul.pdf": "linebreakandnul.pdf",
    "  spaced   out  .pdf  ": "spaced out .pdf",
    "...hidden.pdf": "hidden.pdf",
    "e\u0301te\u0301.pdf": "été.pdf",  # NFC
    "长" * 300 + ".xlsx": "长" * 145 + ".xlsx",
}


@pytest.mark.parametrize(("raw", "clean"), list(NAMES.items()))
def test_names_lose_paths_invisible_characters_and_excess(raw, clean):
    assert attachments.clean_name(raw) == clean
    assert len(clean) <= attachments.NAME_MAX


def test_an_rtl_override_cannot_disguise_an_executable(people):
    with pytest.raises(ValidationError):
        add(people, upload("invoice\u202egnp.exe", b"MZ"))  # shows as "invoiceexe.png"; it is .exe


def test_hostile_names_render_inert_in_the_panel_the_timeline_and_the_api(people):
    hostile = "<img src=x onerror=alert(1)>\"'.pdf"
    add(people, upload(hostile, pdf_bytes()))
    add(people, upload("合同\u202efdp.exe.pdf", pdf_bytes()), upload("<script>alert(1)</script>.pdf", pdf_bytes()))
    client = login(people["author"])
    page = client.get(f"/org/teams/{people['record'].pk}/").content.decode()
    assert "<img src=x" not in page and "onerror=alert(1)>" not in page
    assert "<script>alert" not in page and "\u202e" not in page and "合同fdp.exe.pdf" in page
    assert "_img src=x onerror=alert(1)__&#x27;.pdf" in page
    panel = page[page.index('class="xt-card xt-files"') :]
    assert panel.count('class="xt-file-main" hx-disable>') == 3
    api = client.get(f"/api/v1/attachments?record={record_key(people['record'])}").json()["results"]
    assert [a["name"] for a in api] == ["script_.pdf", "合同fdp.exe.pdf", "_img src=x onerror=alert(1)__'.pdf"]
    entries = timeline.timeline_page(user=people["author"], record=people["record"], kinds={"file"}).entries
    html = render_to_string(entries[-1].template, {"entry": entries[-1]})
    assert "<img src=x" not in html and 'class="d-flex gap-2 py-2" hx-disable>' in html


# --- serving ------------------------------------------------------------------------------------------


def test_a_download_is_an_attachment_with_a_safe_name_and_headers(people):
    data = pdf_bytes()
    (a,) = add(people, upload("第一季度 报价单.pdf", data))
    response = login(people["colleague"]).get(f"/collaboration/attachments/{a.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%AC%AC%E4%B8%80%E5%AD%A3%E5%BA%A6%20%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"
    )
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("application/pdf", "nosniff")
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["Cache-Control"] == "private, no-cache"
    assert content(response) == data


def test_a_pdf_preview_is_inline_in_a_sandbox(people):
    (a,) = add(people, upload("report.pdf", pdf_bytes()))
    response = login(people["author"]).get(f"/collaboration/attachments/{a.pk}/preview/")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"] == 'inline; filename="report.pdf"'
    assert (response["Content-Security-Policy"], response["X-Content-Type-Options"]) == (SANDBOX, "nosniff")
    assert response["X-Frame-Options"] == "DENY"


def test_only_images_and_pdf_are_previewed_other_types_are_downloaded(people):
    image, text, doc = add(
        people,
        upload("p.png", png_bytes()),
        upload("notes.txt", b"<script>alert(1)</script>"),
        upload("d.docx", docx_bytes()),
    )
    client = login(people["author"])
    shown = client.get(f"/collaboration/attachments/{image.pk}/preview/")
    assert (shown["Content-Type"], shown["Content-Disposition"]) == ("image/png", 'inline; filename="p.png"')
    for a in (text, doc):
        response = client.get(f"/collaboration/attachments/{a.pk}/preview/")
        assert response["Content-Disposition"].startswith("attachment;"), a.name
        assert response["Content-Security-Policy"] == SANDBOX
    assert client.get(f"/collaboration/attachments/{text.pk}/preview/")["Content-Type"] == "text/plain"


def test_the_thumbnail_is_served_inline_and_files_without_one_answer_404(people):
    image, pdf = add(people, upload("p.png", png_bytes()), upload("r.pdf", pdf_bytes()))
    client = login(people["colleague"])
    response = client.get(f"/collaboration/attachments/{image.pk}/thumbnail/")
    assert (response.status_code, response["Content-Type"]) == (200, "image/webp")
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Cache-Control"] == "private, max-age=300"
    assert Image.open(io.BytesIO(content(response))).size == (64, 48)
    assert client.get(f"/collaboration/attachments/{pdf.pk}/thumbnail/").status_code == 404


# --- pages ------------------------------------------------------------------------------------------


def test_uploading_with_htmx_answers_the_panel_and_without_redirects_to_the_record(people):
    client = login(people["colleague"])
    team = people["record"]
    key = record_key(team)
    fragment = client.post(
        "/collaboration/attachments/new/",
        {"record": key, "attachments": [upload("a.pdf", pdf_bytes()), upload("b.png", png_bytes())]},
        headers=HTMX,
    )
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith(f'<section class="xt-card xt-files" id="xt-files-org-team-{team.pk}"')
    assert html.count('class="xt-list-item xt-file"') == 2
    b = Attachment.objects.get(name="b.png")
    assert f'src="/collaboration/attachments/{b.pk}/thumbnail/"' in html
    plain = client.post("/collaboration/attachments/new/", {"record": key, "attachments": [upload("c.txt", b"x")]})
    assert (plain.status_code, plain["Location"]) == (303, f"/org/teams/{team.pk}/")
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["a.pdf", "b.png", "c.txt"]


def test_a_refused_upload_shows_the_reason_on_the_panel(people, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    client = login(people["author"])
    response = client.post(
        "/collaboration/attachments/new/",
        {"record": record_key(people["record"]), "attachments": [upload("big.pdf", pdf_bytes())]},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "xt-error-summary" in html and "“big.pdf”" in html and "is-invalid" in html
    missing = client.post("/collaboration/attachments/new/", {"record": record_key(people["record"])}, headers=HTMX)
    assert "xt-error-summary" in missing.content.decode()
    assert Attachment.objects.count() == 0


def test_the_panel_shows_files_with_thumbnails_icons_and_delete_only_where_allowed(people):
    add(people, upload("p.png", png_bytes()))
    add(people, upload("r.pdf", pdf_bytes()), who="colleague")
    key = record_key(people["record"])
    mine = login(people["colleague"]).get(f"/collaboration/attachments/panel/?record={key}").content.decode()
    assert mine.count("xt-file-thumb") == 1 and mine.count("bi-file-earmark-pdf") == 1
    assert mine.count('/delete/"') == 2  # action and hx-post of their own file only
    assert mine.count('target="_blank" rel="noopener"') == 2  # preview: an image and a PDF
    editor = login(people["editor"]).get(f"/collaboration/attachments/panel/?record={key}").content.decode()
    assert editor.count('/delete/"') == 4


def test_deleting_keeps_a_trace_and_removes_the_bytes_after_commit(
    people, attachment_storage, django_capture_on_commit_callbacks
):
    (a,) = add(people, upload("p.png", png_bytes()))
    assert len(stored_files(attachment_storage)) == 2  # the file and its thumbnail
    with pytest.raises(PermissionDenied):
        attachments.attachment_delete(actor=people["colleague"], attachment=a)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(people["author"]).post(f"/collaboration/attachments/{a.pk}/delete/", headers=HTMX)
        assert len(stored_files(attachment_storage)) == 2  # not before the commit
    assert response.status_code == 200 and "p.png" not in response.content.decode()
    a.refresh_from_db()
    assert (a.name, a.size, a.deleted_by, a.deleted_at is not None, a.file.name, bool(a.thumbnail)) == (
        "p.png",
        len(png_bytes()),
        people["author"],
        True,
        "",
        False,
    )
    assert stored_files(attachment_storage) == []
    assert login(people["author"]).get(f"/collaboration/attachments/{a.pk}/download/").status_code == 404
    assert attachments.attachment_delete(actor=people["author"], attachment=a).deleted_at == a.deleted_at


def test_editors_of_the_record_delete_others_files_other_viewers_may_not(people):
    first, second = add(people, upload("a.pdf", pdf_bytes()), upload("b.pdf", pdf_bytes()))
    colleague = login(people["colleague"])
    assert colleague.post(f"/collaboration/attachments/{first.pk}/delete/").status_code == 403
    assert colleague.delete(f"/api/v1/attachments/{first.pk}").status_code == 403
    assert login(people["editor"]).post(f"/collaboration/attachments/{first.pk}/delete/").status_code == 303
    assert login(people["editor"]).delete(f"/api/v1/attachments/{second.pk}").status_code == 204
    assert Attachment.objects.filter(deleted_by=people["editor"]).count() == 2


# --- comments -----------------------------------------------------------------------------------------


def test_a_comment_carries_files_and_shows_them_under_it(people):
    client = login(people["author"])
    key = record_key(people["record"])
    response = client.post(
        "/collaboration/comments/new/",
        {"record": key, "body": "图纸见附件", "attachments": [upload("图纸.png", png_bytes())]},
        headers=HTMX,
    )
    html = response.content.decode()
    comment = Comment.objects.get()
    a = Attachment.objects.get()
    assert (a.comment, a.object_id) == (comment, str(people["record"].pk))
    assert 'class="list-unstyled d-flex flex-wrap gap-2 mb-2 xt-comment-files" hx-disable' in html
    assert f'href="/collaboration/attachments/{a.pk}/download/"' in html
    panel = client.get(f"/collaboration/attachments/panel/?record={key}").content.decode()
    assert f'href="#comment-{comment.pk}"' in panel  # the files panel lists it too, pointing at the comment


def test_a_refused_file_refuses_the_comment_too(people, settings):
    client = login(people["author"])
    response = client.post(
        "/collaboration/comments/new/",
        {"record": record_key(people["record"]), "body": "见附件", "attachments": [upload("x.exe", b"MZ")]},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "xt-error-summary" in html and "“x.exe”" in html and "见附件</textarea>" in html
    assert (Comment.objects.count(), Attachment.objects.count()) == (0, 0)


def test_files_go_with_a_deleted_comment(people, attachment_storage, django_capture_on_commit_callbacks):
    c = comments.comment_create(actor=people["author"], record=people["record"], body="附件")
    (a,) = add(people, upload("a.pdf", pdf_bytes()), comment=c)
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_delete(actor=people["author"], comment=c)  # its files go with it
    client = login(people["author"])
    assert client.get(f"/collaboration/attachments/{a.pk}/download/").status_code == 404
    assert client.get(f"/api/v1/attachments?record={record_key(people['record'])}").json()["results"] == []
    assert client.get(f"/api/v1/attachments/{a.pk}").json()["deleted_at"] is not None
    assert stored_files(attachment_storage) == []
    assert attachments.attachments_delete_of_comment(actor=people["author"], comment=c) == 0  # nothing left


def test_only_the_author_attaches_to_a_comment_on_the_same_record(people, org):
    c = comments.comment_create(actor=people["author"], record=people["record"], body="x")
    with pytest.raises(ValidationError) as exc:
        add(people, upload("a.pdf", pdf_bytes()), who="colleague", comment=c)
    assert list(exc.value.message_dict) == ["comment"]
    other = comments.comment_create(actor=people["author"], record=org["east"], body="y")
    with pytest.raises(ValidationError) as exc:
        add(people, upload("a.pdf", pdf_bytes()), comment=other)
    assert list(exc.value.message_dict) == ["comment"]


# --- events and the timeline ------------------------------------------------------------------------


def test_an_upload_publishes_file_added_after_commit(people, monkeypatch, django_capture_on_commit_callbacks):
    seen = []
    monkeypatch.setitem(events._subscribers, "collaboration.file_added", [seen.append])
    with django_capture_on_commit_callbacks(execute=True):
        (a,) = add(people, upload("a.pdf", pdf_bytes()))
        assert seen == []
    assert [(e.key, e.data) for e in seen] == [
        (
            f"attachment:{a.pk}",
            {
                "actor_id": people["author"].pk,
                "record": f"org.team:{people['record'].pk}",
                "attachment_id": a.pk,
                "name": "a.pdf",
                "comment_id": None,
            },
        )
    ]


def test_files_are_in_the_record_timeline_deleted_ones_as_a_trace(people, settings):
    settings.LANGUAGE_CODE = "en"
    kept, gone = add(people, upload("kept.pdf", pdf_bytes()), upload("gone.pdf", pdf_bytes()))
    attachments.attachment_delete(actor=people["editor"], attachment=gone)
    assert timeline.parse_kinds("file") == {"file"}
    page = timeline.timeline_page(user=people["colleague"], record=people["record"], kinds={"file"})
    assert [(e.kind, e.id, e.text) for e in page.entries] == [
        ("file", gone.pk, "Deleted the file “gone.pdf”"),
        ("file", kept.pk, f"Uploaded “kept.pdf” ({len(pdf_bytes())}\xa0bytes)"),
    ]
    html = login(people["colleague"]).get(f"/collaboration/timeline/?record={record_key(people['record'])}")
    body = html.content.decode()
    assert "<del>gone.pdf</del>" in body and f'href="/collaboration/attachments/{kept.pk}/download/">kept.pdf' in body
    # the source applies the record's visibility itself, whoever calls it
    assert attachments.fetch_files(user=people["outsider"], record=people["record"], cursor=None, limit=10) == []


# --- the API ----------------------------------------------------------------------------------------


def test_the_api_uploads_lists_reads_downloads_and_deletes(people):
    client = login(people["author"])
    key = record_key(people["record"])
    data = png_bytes()
    created = client.post("/api/v1/attachments", {"record": key, "file": upload("../照片.png", data)})
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("record", "name", "mime_type", "size", "has_thumbnail", "uploader_name")} == {
        "record": key,
        "name": "照片.png",
        "mime_type": "image/png",
        "size": len(data),
        "has_thumbnail": True,
        "uploader_name": "王芳",
    }
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    listed = client.get(f"/api/v1/attachments?record={key}").json()
    assert ([a["id"] for a in listed["results"]], listed["next"]) == ([body["id"]], None)
    assert client.get(f"/api/v1/attachments/{body['id']}").json() == body
    download = client.get(f"/api/v1/attachments/{body['id']}/download")
    assert (download.status_code, content(download)) == (200, data)
    assert download["Content-Disposition"].startswith("attachment;")
    assert client.delete(f"/api/v1/attachments/{body['id']}").status_code == 204
    assert client.get(f"/api/v1/attachments/{body['id']}").json()["deleted_at"] is not None
    assert client.get(f"/api/v1/attachments/{body['id']}/download").status_code == 404
    assert client.get(f"/api/v1/attachments?record={key}").json()["results"] == []


def test_the_api_attaches_to_a_comment_and_answers_invalid_input_in_the_error_shape(people, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    client = login(people["author"])
    key = record_key(people["record"])
    c = comments.comment_create(actor=people["author"], record=people["record"], body="x")
    too_big = client.post("/api/v1/attachments", {"record": key, "file": upload("a.pdf", pdf_bytes())})
    assert (too_big.status_code, [e["field"] for e in too_big.json()["errors"]]) == (422, ["file"])
    settings.ATTACHMENT_MAX_BYTES = 50 * 1024 * 1024
    on_comment = client.post(
        "/api/v1/attachments", {"record": key, "file": upload("a.pdf", pdf_bytes()), "comment_id": c.pk}
    )
    assert (on_comment.status_code, on_comment.json()["comment_id"]) == (201, c.pk)
    bad = client.post(
        "/api/v1/attachments", {"record": key, "file": upload("a.pdf", pdf_bytes()), "comment_id": 999999}
    )
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "comment")
    no_file = client.post("/api/v1/attachments", {"record": key})
    assert (no_file.status_code, set(no_file.json())) == (422, {"detail", "errors"})
    json_body = client.post("/api/v1/attachments", data=json.dumps({"record": key}), content_type="application/json")
    assert json_body.status_code == 422


# --- visibility -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["org.team:{pk}", "org.team:999999", "org.businessunit:{bu}", "nonsense", ""])
def test_the_list_answers_404_for_invisible_missing_or_unknown_records(people, org, key):
    response = login(people["outsider"]).get(
        f"/api/v1/attachments?record={key.format(pk=people['record'].pk, bu=org['bu1'].pk)}"
    )
    assert (response.status_code, set(response.json())) == (404, {"detail", "errors"})


def test_a_user_who_cannot_see_the_record_gets_404_everywhere(people, attachment_storage):
    image, pdf = add(people, upload("内部.png", png_bytes()), upload("内部.pdf", pdf_bytes()))
    key = record_key(people["record"])
    client = login(people["outsider"])
    for url in (
        f"/collaboration/attachments/{image.pk}/download/",
        f"/collaboration/attachments/{image.pk}/preview/",
        f"/collaboration/attachments/{pdf.pk}/preview/",
        f"/collaboration/attachments/{image.pk}/thumbnail/",
        f"/collaboration/attachments/panel/?record={key}",
        f"/api/v1/attachments/{image.pk}",
        f"/api/v1/attachments/{image.pk}/download",
        f"/api/v1/attachments?record={key}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/collaboration/attachments/{image.pk}/delete/").status_code == 404
    assert client.delete(f"/api/v1/attachments/{image.pk}").status_code == 404
    assert (
        client.post(
            "/collaboration/attachments/new/", {"record": key, "attachments": [upload("x.pdf", pdf_bytes())]}
        ).status_code
        == 404
    )
    assert client.post("/api/v1/attachments", {"record": key, "file": upload("x.pdf", pdf_bytes())}).status_code == 404
    assert Attachment.objects.filter(deleted_at__isnull=True).count() == 2
    assert len(stored_files(attachment_storage)) == 3  # two files and one thumbnail, nothing added or removed


def test_the_panel_renders_only_for_people_who_see_the_record(people):
    add(people, upload("内部报价.pdf", pdf_bytes()))
    for who, shown in (("author", True), ("colleague", True), ("outsider", False)):
        request = RequestFactory().get("/")
        request.user = people[who]
        html = render_to_string("collaboration/attachments/panel.html", {"record": people["record"]}, request=request)
        assert ("内部报价.pdf" in html) is shown, who
        assert (html.strip() == "") is not shown, who


# --- query counts ------------------------------------------------------------------------------------


def test_the_panel_and_the_list_take_a_fixed_number_of_queries(people):
    client = login(people["colleague"])
    key = record_key(people["record"])
    counter = iter(range(1000))

    def add_rows():
        for who in ("author", "colleague", "editor"):
            n = next(counter)
            c = comments.comment_create(actor=people[who], record=people["record"], body=f"见附件 {n}")
            add(people, upload(f"{n}.png", png_bytes()), upload(f"{n}.pdf", pdf_bytes()), who=who, comment=c)
            add(people, upload(f"{n}.txt", b"x"), who=who)

    add_rows()
    assert_queries_constant(
        lambda: client.get(f"/collaboration/attachments/panel/?record={key}"), add_rows, max_queries=7
    )
    assert_queries_constant(lambda: client.get(f"/api/v1/attachments?record={key}"), add_rows, max_queries=6)
    # the comments panel reads its comments' files in one more query, however many
    assert_queries_constant(
        lambda: client.get(f"/collaboration/comments/panel/?record={key}"), add_rows, max_queries=12
    )


# --- configuration -----------------------------------------------------------------------------------


def test_s3_is_used_when_a_bucket_is_configured():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xietong.config.settings.test",
        "XIETONG_ATTACHMENTS_S3_BUCKET": "xietong-files",
        "XIETONG_ATTACHMENTS_S3_ENDPOINT_URL": "https://minio.example.com",
        "XIETONG_ATTACHMENTS_S3_ACCESS_KEY": "AKIDEXAMPLE",
        "XIETONG_ATTACHMENTS_S3_SECRET_KEY": "not-a-secret",
        "XIETONG_ATTACHMENTS_S3_REGION": "cn-east-1",
        "XIETONG_ATTACHMENT_MAX_MB": "10",
    }
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.files.storage import storages\n"
        "s = storages['attachments']\n"
        "print(type(s).__module__, type(s).__name__, s.bucket_name, s.endpoint_url, s.region_name, s.location,"
        " s.querystring_auth, s.file_overwrite, settings.ATTACHMENT_MAX_BYTES)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "PYTHONPATH": f"{root / 'src'}"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [
        "storages.backends.s3",
        "S3Storage",
        "xietong-files",
        "https://minio.example.com",
        "cn-east-1",
        "attachments",
        "True",
        "False",
        str(10 * 1024 * 1024),
    ]


def test_the_local_default_is_outside_the_media_url(settings):
    from xietong.config.settings import base

    assert base.STORAGES["attachments"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert base.STORAGES["attachments"]["OPTIONS"]["location"] == base.VAR_DIR / "attachments"
    assert base.ATTACHMENT_MAX_BYTES == 50 * 1024 * 1024
    assert "svg" not in base.ATTACHMENT_ALLOWED_TYPES and "html" not in base.ATTACHMENT_ALLOWED_TYPES


def test_the_system_check_names_types_that_are_never_accepted(settings):
    settings.ATTACHMENT_ALLOWED_TYPES = ["pdf", "svg", "step"]
    found = {m.id: m.msg for m in attachments.check_attachment_types()}
    assert found == {
        "xietong.W010": "ATTACHMENT_ALLOWED_TYPES lists svg, never accepted",
        "xietong.I011": "ATTACHMENT_ALLOWED_TYPES lists step: their content is not checked",
    }
    assert isinstance(attachments.check_attachment_types()[0], checks.Warning)


def test_a_configured_type_without_a_content_check_is_stored_as_octet_stream(people, settings):
    settings.ATTACHMENT_ALLOWED_TYPES = ["step"]
    (a,) = add(people, upload("零件.STEP", b"ISO-10303-21;"))
    assert (a.extension, a.mime_type, a.previewable) == ("step", "application/octet-stream", False)
    response = login(people["author"]).get(f"/collaboration/attachments/{a.pk}/preview/")
    assert response["Content-Disposition"].startswith("attachment;")
