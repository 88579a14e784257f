"""Task pages: the list with its tabs and bulk bar, the form, the task page, status buttons (htmx)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.components import history_panel
from xietong.core.forms import DateTimeField, XtForm, posted, service_errors
from xietong.core.htmx import done, next_url, page_view, render_form, render_page
from xietong.core.pagination import paginate
from xietong.core.params import as_int
from xietong.org.forms import PeopleChoiceField, PersonChoiceField
from xietong.org.models import User

from . import tasks_services as svc
from .models import Task

RESULTS_ID = "task-results"
TABS = [
    ("assigned", _("Assigned to me")),
    ("created", _("Created by me")),
    ("team", _("My team")),
    ("overdue", _("Overdue")),
]
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# quick reminder choices, in minutes before the due time ("" = the exact time of "Remind at", or none)
REMIND_CHOICES = [
    ("", _("At the exact time below, or never")),
    (0, _("At the due time")),
    (15, _("15 minutes before")),
    (60, _("1 hour before")),
    (1440, _("1 day before")),
]
DEFAULT_DUE_TIME = time(18, 0)  # a day picked in the calendar: due at the end of the working day


def _due_from_query(value: str) -> datetime | None:
    """``?due=2026-11-28`` (at ``DEFAULT_DUE_TIME``) or ``?due=2026-11-28T14:30``, in the local time zone."""
    try:
        if "T" in value:
            parsed = datetime.fromisoformat(value)
        else:
            parsed = datetime.combine(date.fromisoformat(value), DEFAULT_DUE_TIME)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class TaskForm(XtForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    assignee = PersonChoiceField(label=_("Assignee"), queryset=User.objects.none())
    collaborators = PeopleChoiceField(label=_("Collaborators"), queryset=User.objects.none(), required=False)
    due_at = DateTimeField(label=_("Due"), required=False, widget=DATETIME)
    priority = forms.ChoiceField(label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL)
    remind_before = forms.TypedChoiceField(
        label=_("Remind"),
        choices=REMIND_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Relative to the due time; or leave it and choose an exact time below."),
    )
    remind_at = DateTimeField(
        label=_("Remind at"),
        required=False,
        widget=DATETIME,
        help_text=_("The assignee and the collaborators get a notification then (and an e-mail if they want one)."),
    )
    record = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = svc.assignable_users(actor=actor)
        self.fields["assignee"].queryset = people  # type: ignore[attr-defined]
        self.fields["collaborators"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """A quick choice ("1 hour before") sets ``remind_at`` from the due time."""
        data = super().clean() or {}
        before = data.get("remind_before")
        if before is not None:
            if data.get("due_at") is None:
                self.add_error("remind_before", _("Set a due time to be reminded before it."))
            else:
                data["remind_at"] = data["due_at"] - timedelta(minutes=before)
        return data


class BulkForm(XtForm):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    status = forms.ChoiceField(choices=[("", "—"), *Task.Status.choices], required=False)
    assignee = PersonChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = svc.assignable_users(actor=actor)  # type: ignore[attr-defined]
        self.fields["ids"].choices = [(v, v) for v in (self.data.getlist("ids") if self.data else [])]  # type: ignore[attr-defined]


@page_view
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "assigned")
    if view not in svc.VIEWS:
        view = "assigned"
    status = request.GET.get("status", "")
    status = status if status in Task.Status.values else ""
    page = paginate(request, svc.task_list(user=request.user, view=view, status=status or None))
    rows = list(page["page_obj"].object_list)
    links = svc.record_links(rows, user=request.user)
    for t in rows:
        t.record_link = links.get(t.pk)  # type: ignore[attr-defined]
    page["page_obj"].object_list = rows
    return render_page(
        request,
        "collaboration/tasks/list.html",
        {
            **page,
            "view": view,
            "status": status,
            "tabs": TABS,
            "statuses": Task.Status.choices,
            "people": svc.assignable_users(actor=request.user),
            "results_id": RESULTS_ID,
        },
        fragments={RESULTS_ID: "results"},
    )


@page_view
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    record_key = request.GET.get("record", "") or request.POST.get("record", "")
    initial: dict[str, Any] = {"assignee": request.user.pk, "record": record_key}
    due = _due_from_query(request.GET.get("due", ""))
    if due is not None:  # started from a day of the calendar
        initial["due_at"] = timezone.localtime(due)
    form = TaskForm(posted(request), actor=request.user, initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            task = svc.task_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                assignee=data["assignee"],
                collaborators=data["collaborators"],
                due_at=data["due_at"],
                priority=data["priority"],
                remind_at=data["remind_at"],
                record_key=data["record"],
            )
        if form.is_valid():
            return done(request, reverse("collaboration:task_detail", args=[task.pk]))
    return render_form(request, form, title=_("New task"), cancel_url=reverse("collaboration:tasks"))


@page_view
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = svc.task_get(user=request.user, pk=pk)
    if not svc.can_edit(request.user, task):
        raise PermissionDenied(_("Only its creator, its assignee or a manager can change a task."))
    initial = {
        "title": task.title,
        "description": task.description,
        "assignee": task.assignee_id,
        "collaborators": [u.pk for u in task.collaborators.all()],
        "due_at": task.due_at,
        "priority": task.priority,
        "remind_at": task.remind_at,
    }
    form = TaskForm(posted(request), actor=request.user, initial=initial)
    # the current assignee stays choosable even if the editor does not see them
    people = svc.assignable_users(actor=request.user) | type(task.assignee)._default_manager.filter(pk=task.assignee_id)
    form.fields["assignee"].queryset = people.distinct()  # type: ignore[attr-defined]
    del form.fields["record"]
    if form.is_valid():
        data = form.cleaned_data
        for name in ("due_at", "remind_at"):  # the form shows minutes: an unchanged time keeps its seconds
            old = getattr(task, name)
            if old is not None and data[name] == old.replace(second=0, microsecond=0):
                data[name] = old
        with service_errors(form):
            svc.task_update(actor=request.user, task=task, **{k: data[k] for k in svc.UPDATABLE})
        if form.is_valid():
            return done(request, reverse("collaboration:task_detail", args=[task.pk]))
    return render_form(
        request, form, title=_("Edit task"), cancel_url=reverse("collaboration:task_detail", args=[task.pk])
    )


def _detail_context(request: HttpRequest, task: Task) -> dict[str, Any]:
    record = svc.visible_task_record(user=request.user, task=task)
    return {
        "task": task,
        "linked": record,
        "linked_url": svc.record_links([task], user=request.user).get(task.pk, ("", ""))[1],
        "can_edit": svc.can_edit(request.user, task),
        "can_set_status": svc.can_set_status(request.user, task),
        "why_url": reverse("collaboration:task_why", args=[task.pk]),
        **history_panel(task, url=reverse("collaboration:task_history", args=[task.pk])),
    }


@page_view
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = svc.task_get(user=request.user, pk=pk)
    return render_page(
        request, "collaboration/tasks/detail.html", _detail_context(request, task), fragments={"task-status": "status"}
    )


@page_view
@require_POST
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status buttons (htmx: answers the header's status block; otherwise back to the task)."""
    task = svc.task_get(user=request.user, pk=pk)
    url = reverse("collaboration:task_detail", args=[task.pk])
    try:
        svc.task_set_status(actor=request.user, task=task, status=request.POST.get("status", ""))
    except ValidationError as exc:  # not one of the statuses (the buttons send only those)
        messages.error(request, " ".join(exc.messages))
        return done(request, url)
    if getattr(request, "htmx", False):
        task = svc.task_get(user=request.user, pk=pk)
        response = render(request, "collaboration/tasks/detail.html#status", _detail_context(request, task))
        response["Vary"] = "HX-Request"
        return response
    return done(request, url)


@page_view
@require_POST
def task_bulk(request: HttpRequest) -> HttpResponse:
    """The list's bulk bar: all the chosen tasks change, or none (404 / 403 as the service says)."""
    form = BulkForm(request.POST, actor=request.user)
    back = next_url(request, reverse("collaboration:tasks"))
    if not form.is_valid():
        from django.contrib import messages

        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return done(request, back)
    data = form.cleaned_data
    svc.task_bulk_update(
        actor=request.user, task_ids=data["ids"], status=data["status"] or None, assignee=data["assignee"]
    )
    return done(request, back)


@page_view
@require_GET
def task_history(request: HttpRequest, pk: int) -> HttpResponse:
    task = svc.task_get(user=request.user, pk=pk)
    offset = request.GET.get("offset", "0")
    context = history_panel(
        task,
        url=reverse("collaboration:task_history", args=[pk]),
        offset=as_int(offset, 0),
    )
    return render(request, "components/history.html#entries", context)


@page_view
@require_GET
def task_why(request: HttpRequest, pk: int) -> HttpResponse:
    from xietong.core.components import why_panel

    task = svc.task_get(user=request.user, pk=pk)
    return render(request, "components/why.html", why_panel(request.user, task))
