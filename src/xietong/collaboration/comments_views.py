"""Comment pages: post, edit, delete. With htmx each answers the record's comments panel; without, a
redirect back to the record's page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from xietong.core.components import record_url
from xietong.core.errors import Conflict
from xietong.core.forms import XtForm, service_errors
from xietong.core.htmx import announce_record_changed, back_to_page, page_view, render_form
from xietong.core.params import as_int

from . import attachments, comments, registry
from .attachments_views import MultipleFileField
from .models import Comment

PANEL = "collaboration/comments/panel.html"


class CommentForm(XtForm):
    body = forms.CharField(
        label=_("Comment"),
        max_length=comments.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown: **bold**, *italic*, `code`, lists, links. Mention with @user name or @team name."),
    )


class NewCommentForm(CommentForm):
    """A new comment may carry files (collaboration/attachments.py); an edit changes only the text."""

    attachments = MultipleFileField(label=_("Attach files"), required=False)


def _record_page(record: models.Model) -> str:
    return record_url(ContentType.objects.get_for_model(record).pk, str(record.pk)) or "/"


def _panel(
    request: HttpRequest, record: models.Model, form: CommentForm | None = None, share_offer: Any = None
) -> HttpResponse:
    response = render(request, PANEL, {"record": record, "comment_form": form, "share_offer": share_offer})
    response["Vary"] = "HX-Request"
    return response if form is not None and form.errors else announce_record_changed(request, response)


def _answer(
    request: HttpRequest, record: models.Model, form: CommentForm | None = None, share_offer: Any = None
) -> HttpResponse:
    if getattr(request, "htmx", False):
        return _panel(request, record, form, share_offer)
    return back_to_page(request, _record_page(record), form=form, info=share_offer["message"] if share_offer else "")


@page_view
@require_GET
def comment_panel(request: HttpRequest) -> HttpResponse:
    """The panel alone (htmx: "cancel" of an edit reloads it)."""
    record = registry.resolve(request.user, request.GET.get("record", ""))
    return _panel(request, record)


@page_view
@require_POST
def comment_create(request: HttpRequest) -> HttpResponse:
    record = registry.resolve(request.user, request.POST.get("record", ""))
    form = NewCommentForm(request.POST, request.FILES)
    parent: Comment | None = None
    if request.POST.get("parent"):
        parent = cast(
            "Comment | None",
            Comment.objects.visible_to(request.user).on(record).filter(pk=as_int(request.POST["parent"], 0)).first(),
        )
        if parent is None:
            form.add_error(None, _("The comment you reply to is gone."))
    if form.is_valid():
        with service_errors(form, fields={"parent": "body", "file": "attachments"}):
            comment = attachments.comment_create_with_files(
                actor=request.user,
                record=record,
                body=form.cleaned_data["body"],
                parent=parent,
                files=form.cleaned_data["attachments"],
            )
        if form.is_valid():
            return _answer(request, record, share_offer=comments.share_offer(actor=request.user, comment=comment))
    return _answer(request, record, form)


def _edit_form(request: HttpRequest, comment: Comment, form: CommentForm, status: int = 200) -> HttpResponse:
    record = comments.comment_record(comment)
    if getattr(request, "htmx", False):
        context = {
            "comment": comment,
            "form": form,
            "record_key": registry.record_key(record),
            "record_page": _record_page(record),
            "dom_id": panel_dom_id(record),
        }
        return render(request, "collaboration/comments/edit_form.html", context, status=status)
    return render_form(request, form, title=_("Edit comment"), cancel_url=_record_page(record))


@page_view
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """404 outside the viewer's scope; 403 for someone else's comment; after the edit window the form
    says so."""
    comment = comments.comment_get(user=request.user, pk=pk)
    if comment.author_id != request.user.pk:
        raise PermissionDenied(_("Only its author can change a comment."))
    if request.method == "GET":
        form = CommentForm(initial={"body": comment.body})
        try:
            comments.comment_check_edit(actor=request.user, comment=comment)
        except Conflict as exc:
            form.add_error(None, str(exc))
        return _edit_form(request, comment, form)
    form = CommentForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            comments.comment_edit(actor=request.user, comment=comment, body=form.cleaned_data["body"])
        if form.is_valid():
            record = comments.comment_record(comment)
            response = _answer(request, record)
            if getattr(request, "htmx", False):  # the edit form targets itself; success swaps the panel
                response = reswap(retarget(response, f"#{panel_dom_id(record)}"), "outerHTML")
            return response
    return _edit_form(request, comment, form)


@page_view
@require_POST
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = comments.comment_get(user=request.user, pk=pk)
    comments.comment_delete(actor=request.user, comment=comment)
    return _answer(request, comments.comment_record(comment))


def panel_dom_id(record: Any) -> str:
    return f"xt-comments-{record._meta.label_lower.replace('.', '-')}-{record.pk}"
