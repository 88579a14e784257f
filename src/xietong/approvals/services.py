"""The approval engine: every write (docs/subsystems/approvals.md).

Submitting a document picks its flow, snapshots the applicable steps with their approvers into an
``ApprovalRequest`` and opens the first step's tasks. Decisions (approve, reject, return, recall,
delegate) lock the document row, then the request row (always in that order), re-read the actor's
task and the request's state, and only then write — so two approvers deciding at once can never
complete a step twice or skip one. The document's callbacks (``registry.DocumentType``) run
inside that transaction; notifications go out after the commit.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core import audit
from xietong.core.errors import Conflict, NotFound
from xietong.core.params import as_int
from xietong.core.visibility import addressable_people

from . import registry
from .models import (
    ApprovalEvent,
    ApprovalFlow,
    ApprovalRequest,
    ApprovalStep,
    ApprovalTask,
    Delegation,
    EventKind,
    RequestStatus,
    StepKind,
    StepMode,
    TaskStatus,
)

NUMBER_OPS = ("=", "!=", ">", ">=", "<", "<=")
TEXT_OPS = ("=", "!=", "contains")
CHOICE_OPS = ("=", "!=", "in")
OPS_BY_KIND = {"number": NUMBER_OPS, "text": TEXT_OPS, "choice": CHOICE_OPS, "reference": CHOICE_OPS}
MANAGER_KINDS = (StepKind.MANAGER, StepKind.MANAGER_CHAIN)


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


# --- conditions ------------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    """A finite number, else None (NaN and infinities compare with nothing)."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def condition_holds(document_type: registry.DocumentType, document: Any, condition: dict[str, Any]) -> bool:
    """One ``{field, op, value}`` on the document. An unknown field or a missing value never holds."""
    fields = {f.name: f for f in document_type.fields}
    cfield = fields.get(str(condition.get("field")))
    if cfield is None:
        return False
    op = condition.get("op")
    expected = condition.get("value")
    actual = cfield.value(document)
    if actual is None or actual == "":  # an empty value holds no condition, "!=" included
        return False
    if cfield.kind == "number":
        left, right = _number(actual), _number(expected)
        compare = _COMPARE.get(str(op))
        if left is None or right is None or compare is None:
            return False
        return bool(compare(left, right))
    text = str(getattr(actual, "pk", actual))
    if op == "=":
        return text == str(expected)
    if op == "!=":
        return text != str(expected)
    if op == "contains" and cfield.kind == "text":
        return str(expected).casefold() in text.casefold()
    if op == "in":
        values = expected if isinstance(expected, list | tuple) else [expected]
        return text in {str(v) for v in values}
    return False


def conditions_hold(document_type: registry.DocumentType, document: Any, conditions: Iterable[dict[str, Any]]) -> bool:
    return all(condition_holds(document_type, document, c) for c in conditions or ())


def condition_choices(cfield: registry.ConditionField) -> list[tuple[str, str]] | None:
    """The values a choice or reference field takes, as (value, label) texts; None: any value."""
    if cfield.kind not in ("choice", "reference") or cfield.choices is None:
        return None
    choices = cfield.choices() if callable(cfield.choices) else cfield.choices
    return [(str(value), str(label)) for value, label in choices]


def _choice_value(
    cfield: registry.ConditionField, choices: list[tuple[str, str]], raw: Any, *, index: int, field: str
) -> str:
    """The stored value of one value typed for a choice or reference field: the value itself, or its
    label (a business unit by its name; case ignored), else a ``ValidationError`` listing the choices."""
    text = str(raw).strip()
    for value, _label in choices:
        if text == value:
            return value
    folded = text.casefold()
    for value, label in choices:
        if folded in (value.casefold(), label.casefold()):
            return value
    raise ValidationError(
        {
            field: _("Condition %(n)s: “%(value)s” is not a value of “%(name)s” (%(values)s).")
            % {"n": index, "value": text, "name": cfield.label, "values": ", ".join(label for _v, label in choices)}
        }
    )


def clean_conditions(document_type: registry.DocumentType, conditions: Any, *, field: str) -> list[dict[str, Any]]:
    """Validate a list of conditions against the document type's fields; ``field`` names the input."""
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list):
        raise ValidationError({field: _("Conditions must be a list.")})
    fields = {f.name: f for f in document_type.fields}
    cleaned: list[dict[str, Any]] = []
    for index, raw in enumerate(conditions, start=1):
        if not isinstance(raw, dict):
            raise ValidationError({field: _("Condition %(n)s is not a field, operator and value.") % {"n": index}})
        name, op, value = raw.get("field"), raw.get("op"), raw.get("value")
        cfield = fields.get(str(name))
        if cfield is None:
            raise ValidationError({field: _("Condition %(n)s: no field “%(name)s”.") % {"n": index, "name": name}})
        if op not in OPS_BY_KIND.get(cfield.kind, ()):
            raise ValidationError(
                {
                    field: _("Condition %(n)s: the operator “%(op)s” does not apply to “%(name)s”.")
                    % {"n": index, "op": op, "name": cfield.label}
                }
            )
        if cfield.kind == "number":
            if _number(value) is None:
                raise ValidationError({field: _("Condition %(n)s: the value must be a number.") % {"n": index}})
            value = str(_number(value))
        elif op == "in":
            value = [str(v) for v in (value if isinstance(value, list | tuple) else str(value or "").split(","))]
            value = [v.strip() for v in value if v.strip()]
            if not value:
                raise ValidationError({field: _("Condition %(n)s: give at least one value.") % {"n": index}})
        else:
            value = "" if value is None else str(value)
        choices = condition_choices(cfield)
        if choices is not None:  # a value that is no choice would save, and then never hold
            if isinstance(value, list):
                value = [_choice_value(cfield, choices, v, index=index, field=field) for v in value]
            else:
                value = _choice_value(cfield, choices, value, index=index, field=field)
        cleaned.append({"field": cfield.name, "op": op, "value": value})
    return cleaned


# --- choosing a flow and resolving approvers ------------------------------------------------------------


def flow_for(document_type: registry.DocumentType, document: Any) -> ApprovalFlow | None:
    """The first active flow whose conditions hold: the document's BU's flows before the group-wide
    ones, each by priority (lower first), then by age."""
    bu_id = document_type.business_unit_id(document)
    candidates = (
        ApprovalFlow.objects.filter(document_type=document_type.code, is_active=True)
        .filter(Q(business_unit__isnull=True) | Q(business_unit_id=bu_id))
        .prefetch_related("steps")
    )
    ordered = sorted(candidates, key=lambda f: (f.business_unit_id is None, f.priority, f.pk))
    for flow in ordered:
        if conditions_hold(document_type, document, flow.conditions):
            return flow
    return None


def _active_users(ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return sorted(get_user_model()._default_manager.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))


def manager_levels(user_id: int | None, levels: int) -> list[list[int]]:
    """The managers of ``user_id`` up the team tree: [level 1 ids, level 2 ids, …] (at most ``levels``).

    Level 1 are the managers of the person's primary team other than the person; when there are
    none (the person manages the team alone, or the team has no manager), the first team above with
    a manager. Each further level continues above the team where the previous one was found."""
    from xietong.org.models import Team, TeamMembership

    if user_id is None:
        return []
    user = get_user_model()._default_manager.filter(pk=user_id).select_related("primary_team").first()
    team = getattr(user, "primary_team", None) if user is not None else None
    if team is None:
        return []
    chain_ids = [team.pk, *reversed(team.ancestor_ids())]  # own team first, then upwards
    active = set(Team.objects.filter(pk__in=chain_ids, is_active=True).values_list("pk", flat=True))
    managers: dict[int, list[int]] = {}
    for team_id, manager_id in TeamMembership.objects.filter(
        team_id__in=chain_ids, is_manager=True, user__is_active=True
    ).values_list("team_id", "user_id"):
        managers.setdefault(team_id, []).append(manager_id)
    found: list[list[int]] = []
    seen = {user_id}
    for team_id in chain_ids:
        if team_id not in active:
            continue
        ids = sorted(set(managers.get(team_id, [])) - seen)
        if not ids:
            continue
        found.append(ids)
        seen.update(ids)
        if len(found) >= levels:
            break
    return found


def _role_holders(role_id: int | None, bu_id: int | None) -> list[int]:
    """Holders of a role for a document of ``bu_id``: those whose role is limited to that BU or who
    hold it unlimited and work in that BU; if nobody, the unlimited holders anywhere (headquarters)."""
    from xietong.org.models import UserRole

    if role_id is None:
        return []
    rows = list(
        UserRole.objects.filter(role_id=role_id, user__is_active=True).values_list(
            "user_id", "business_unit_id", "user__business_unit_id"
        )
    )
    local = {u for u, limited, own in rows if limited == bu_id or (limited is None and own == bu_id)}
    if local:
        return sorted(local)
    return sorted({u for u, limited, _own in rows if limited is None})


def _team_members(team_id: int | None) -> list[int]:
    from xietong.org.models import TeamMembership

    if team_id is None:
        return []
    return sorted(
        set(TeamMembership.objects.filter(team_id=team_id, user__is_active=True).values_list("user_id", flat=True))
    )


def resolve_steps(
    document_type: registry.DocumentType, document: Any, flow: ApprovalFlow, *, submitter_id: int
) -> list[dict[str, Any]]:
    """The flow's steps as the request will run them: steps whose conditions fail are left out, a
    "managers up N levels" step becomes one step per level found, and each step lists its approvers.

    A manager step that finds nobody (the submitter is at the top of the tree) is left out, recorded
    in the request as skipped; a user, role or team step that finds nobody is an error naming it."""
    bu_id = document_type.business_unit_id(document)
    chain_from = document_type.owner_id(document) or submitter_id
    resolved: list[dict[str, Any]] = []
    for step in sorted(flow.steps.all(), key=lambda s: s.position):
        if not conditions_hold(document_type, document, step.conditions):
            continue
        base = {"name": step.name, "kind": step.kind, "mode": step.mode, "position": step.position}
        if step.kind in MANAGER_KINDS:
            levels = manager_levels(chain_from, step.levels if step.kind == StepKind.MANAGER_CHAIN else 1)
            if not levels:
                resolved.append({**base, "approver_ids": [], "skipped": True, "note": "no manager"})
                continue
            for depth, ids in enumerate(levels, start=1):
                name = step.name if len(levels) == 1 else f"{step.name} · {depth}"
                resolved.append({**base, "name": name, "approver_ids": ids, "skipped": False, "note": ""})
            continue
        if step.kind == StepKind.USER:
            ids = _active_users([step.user_id] if step.user_id else [])
        elif step.kind == StepKind.ROLE:
            ids = _role_holders(step.role_id, bu_id)
        else:
            ids = _team_members(step.team_id)
        if not ids:
            raise ValidationError(
                {
                    "flow": _("The step “%(step)s” of the flow “%(flow)s” finds no approver.")
                    % {"step": step.name, "flow": flow.name}
                }
            )
        resolved.append({**base, "approver_ids": ids, "skipped": False, "note": ""})
    return resolved


DELEGATION_HOPS = 5  # a chain of standing delegations followed this far (A away → B, B away too → C …)


def _delegate_of(user_ids: Sequence[int], today: Any, *, submitter_id: int | None) -> dict[int, int]:
    """Who stands in for whom today (active delegations covering today to a delegate who can still
    sign in; the newest wins). A delegate who is away too passes it on along their own delegation,
    up to ``DELEGATION_HOPS``; a chain that comes back stops before it would, and so does one that
    would reach the request's submitter (nobody decides on their own request through a delegation)."""
    hops: dict[int, int] = {}
    frontier = set(user_ids)
    for _hop in range(DELEGATION_HOPS):
        rows = (
            Delegation.objects.filter(
                user_id__in=sorted(frontier),
                is_active=True,
                starts_on__lte=today,
                ends_on__gte=today,
                delegate__is_active=True,
            )
            .order_by("user_id", "-starts_on", "-pk")
            .values_list("user_id", "delegate_id")
        )
        found: dict[int, int] = {}
        for user_id, delegate_id in rows:
            found.setdefault(user_id, delegate_id)
        hops.update(found)
        frontier = set(found.values()) - set(hops)
        if not frontier:
            break
    out: dict[int, int] = {}
    for user_id in user_ids:
        seen, current = {user_id}, user_id
        while (
            current in hops
            and hops[current] not in seen
            and hops[current] != submitter_id
            and len(seen) <= DELEGATION_HOPS
        ):
            current = hops[current]
            seen.add(current)
        if current != user_id:
            out[user_id] = current
    return out


def _stand_in(request: ApprovalRequest, departed_id: int) -> int | None:
    """Who decides for an approver who can no longer sign in when their step opens (they left after
    the request was submitted): the flow's escalate-to person, else the departed approver's manager,
    else the submitter's manager; never the submitter. None: nobody (the task waits for them)."""
    escalate_to = (
        ApprovalFlow.objects.filter(pk=request.flow_id).values_list("escalate_to_id", flat=True).first()
        if request.flow_id
        else None
    )
    theirs, submitters = manager_levels(departed_id, 1), manager_levels(request.submitter_id, 1)
    for candidate in [escalate_to, *(theirs[0] if theirs else []), *(submitters[0] if submitters else [])]:
        if candidate and candidate != request.submitter_id and _active_users([candidate]):
            return candidate
    return None


def _open_step(request: ApprovalRequest, index: int, *, now: Any) -> list[int]:
    """Create the pending tasks of step ``index`` (delegations applied; an approver who has left
    since the submission is stood in for, see ``_stand_in``); the approvers asked."""
    step = request.steps[index]
    ids = list(step["approver_ids"])
    delegates = _delegate_of(ids, timezone.localdate(now), submitter_id=request.submitter_id)
    active = set(_active_users(ids))
    for departed in [a for a in ids if a not in active and a not in delegates]:
        stand_in = _stand_in(request, departed)
        if stand_in is not None:
            delegates[departed] = stand_in
    tasks: list[ApprovalTask] = []
    asked: set[int] = set()
    for approver_id in ids:
        target = delegates.get(approver_id, approver_id)
        if target in asked:
            continue
        asked.add(target)
        tasks.append(
            ApprovalTask(
                request=request,
                step=index,
                approver_id=target,
                delegated_from_id=approver_id if target != approver_id else None,
                created_at=now,
            )
        )
    ApprovalTask.objects.bulk_create(tasks)
    request.current_step = index
    request.step_started_at = now
    return sorted(asked)


def _next_step(request: ApprovalRequest, after: int) -> int | None:
    for index in range(after + 1, len(request.steps)):
        if not request.steps[index].get("skipped"):
            return index
    return None


def _event(
    request: ApprovalRequest, kind: str, actor: Any, *, step: int | None, comment: str = "", **params: Any
) -> None:
    ApprovalEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        step=step,
        comment=comment,
        params=params,
        created_at=timezone.now(),
    )


def _notify(
    kind: str, request: ApprovalRequest, recipients: Iterable[int], actor: Any, *, key: str, **params: Any
) -> None:
    """After the commit: one notification per recipient (idempotent on ``key``)."""
    ids = sorted(set(recipients))
    if not ids:
        return
    from xietong.collaboration.tasks import deliver_notifications

    send = functools.partial(
        deliver_notifications.enqueue,
        event_key=f"approvals:{request.pk}:{key}",
        kind=kind,
        recipient_ids=ids,
        actor_id=getattr(actor, "pk", None),
        record=["approvals.approvalrequest", request.pk],
        params={"actor": str(actor or ""), "title": request.title, "document_type": request.document_type, **params},
    )
    transaction.on_commit(send, robust=True)


def _lock_document(document: models.Model) -> models.Model:
    manager = type(document)._default_manager
    locked = manager.select_for_update().filter(pk=document.pk).first()
    if locked is None:
        raise NotFound()
    return locked


# --- submit -----------------------------------------------------------------------------------------------


@transaction.atomic
def approval_submit(*, document: models.Model, actor: Any, comment: str = "") -> ApprovalRequest | None:
    """Put ``document`` into approval. None (and ``on_approved(document, None)``) when no flow applies.

    The owning app checks beforehand that ``actor`` may submit the document. A second submission
    while one is pending is a ``Conflict``. Callbacks get the locked, fresh document row."""
    document_type = registry.of(document)
    document = _lock_document(document)
    content_type = ContentType.objects.get_for_model(type(document))
    if ApprovalRequest.objects.filter(
        content_type=content_type, object_id=str(document.pk), status=RequestStatus.PENDING
    ).exists():
        raise Conflict(_("This document is already in approval."))
    flow = flow_for(document_type, document)
    if flow is None:
        document_type.on_approved(document, None)
        return None
    steps = resolve_steps(document_type, document, flow, submitter_id=actor.pk)
    now = timezone.now()
    amount = document_type.amount(document)
    request = ApprovalRequest(
        document_type=document_type.code,
        content_type=content_type,
        object_id=str(document.pk),
        document_id=document.pk if isinstance(document.pk, int) else None,
        flow=flow,
        flow_name=flow.name,
        steps=steps,
        submitter=actor,
        title=str(document_type.title(document))[:200],
        amount=None if amount is None else Decimal(amount).quantize(Decimal("0.01")),
        url=str(document_type.url(document))[:300],
        business_unit_id=document_type.business_unit_id(document),
        comment=comment,
        submitted_at=now,
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        raise Conflict(_("This document is already in approval.")) from None
    _event(request, EventKind.SUBMIT, actor, step=None, comment=comment)
    first = _next_step(request, -1)
    if first is None:  # every step was left out: nothing to decide
        _finish(request, actor, now=now, document_type=document_type, document=document)
        audit.record(actor=actor, obj=request, kind="action", verb="approval_submitted")
        return request
    asked = _open_step(request, first, now=now)
    request.save(update_fields=["current_step", "step_started_at"])
    document_type.on_submitted(document, request)
    audit.record(actor=actor, obj=request, kind="action", verb="approval_submitted")
    _notify("approval_requested", request, asked, actor, key=f"step{first}:{now.timestamp()}")
    return request


def _finish(
    request: ApprovalRequest, actor: Any, *, now: Any, document_type: registry.DocumentType, document: Any
) -> None:
    request.status = RequestStatus.APPROVED
    request.current_step = None
    request.finished_at = now
    request.save(update_fields=["status", "current_step", "finished_at"])
    _event(request, EventKind.FINISH, actor, step=None)
    document_type.on_approved(document, request)
    _notify("approval_approved", request, [request.submitter_id], actor, key="approved")


# --- deciding ------------------------------------------------------------------------------------------------


def may_see(user: Any, request: ApprovalRequest) -> bool:
    """The submitter, the approvers (current and past), the module's scope, and whoever sees the document."""
    if ApprovalRequest.objects.visible_to(user).filter(pk=request.pk).exists():
        return True
    model = request.content_type.model_class()
    manager = getattr(model, "_default_manager", None)
    if manager is None or not hasattr(manager, "visible_to"):
        return False
    return bool(manager.visible_to(user).filter(pk=request.object_id).exists())


def _locked(actor: Any, request: ApprovalRequest | int) -> tuple[ApprovalRequest, registry.DocumentType, Any]:
    """Lock the document, then the request (fixed order), and re-read both. 404 for an unseen request."""
    found = ApprovalRequest.objects.select_related("content_type").filter(pk=_pk(request)).first()
    if found is None or not may_see(actor, found):
        raise NotFound()
    document_type = registry.get(found.document_type)
    model = found.content_type.model_class()
    assert model is not None
    document = model._default_manager.select_for_update().filter(pk=found.object_id).first()
    locked = ApprovalRequest.objects.select_for_update().get(pk=found.pk)
    locked.content_type = found.content_type
    return locked, document_type, document


def _my_task(actor: Any, request: ApprovalRequest) -> ApprovalTask:
    """The actor's pending task on the current step (locked), else 409 (finished) or 403 (not asked)."""
    if not request.is_pending:
        raise Conflict(_("This approval is already finished (%(status)s).") % {"status": request.get_status_display()})
    assert request.current_step is not None  # a pending request is always at a step
    task = (
        ApprovalTask.objects.select_for_update()
        .filter(request=request, step=request.current_step, approver_id=actor.pk, status=TaskStatus.PENDING)
        .order_by("pk")
        .first()
    )
    if task is None:
        raise PermissionDenied(_("You are not an approver of the current step."))
    return task


def _close_task(task: ApprovalTask, status: str, comment: str, now: Any) -> None:
    task.status = status
    task.comment = comment
    task.decided_at = now
    task.save(update_fields=["status", "comment", "decided_at"])
    _read_asks(task.approver_id, task.request_id, now)


def _read_asks(user_id: int, request_id: int, now: Any) -> None:
    """The approver decided: the notifications that asked them about the request are read."""
    from django.contrib.contenttypes.models import ContentType

    from xietong.collaboration.models import Notification

    Notification.objects.filter(
        recipient_id=user_id,
        content_type=ContentType.objects.get_for_model(ApprovalRequest),
        object_id=str(request_id),
        read_at__isnull=True,
    ).update(read_at=now)


def _skip_pending(request: ApprovalRequest, now: Any, *, step: int | None = None) -> None:
    pending = ApprovalTask.objects.filter(request=request, status=TaskStatus.PENDING)
    if step is not None:
        pending = pending.filter(step=step)
    pending.update(status=TaskStatus.SKIPPED, decided_at=now)


@transaction.atomic
def approval_approve(*, request: ApprovalRequest | int, actor: Any, comment: str = "") -> ApprovalRequest:
    """The actor approves the current step. 会签: the step completes when no approver is pending;
    或签: at the first approval (the others' tasks are skipped). The last step completing approves
    the request and calls ``on_approved``."""
    locked, document_type, document = _locked(actor, request)
    task = _my_task(actor, locked)
    now = timezone.now()
    step_index = locked.current_step
    assert step_index is not None
    _close_task(task, TaskStatus.APPROVED, comment, now)
    _event(locked, EventKind.APPROVE, actor, step=step_index, comment=comment)
    step = locked.steps[step_index]
    still_pending = ApprovalTask.objects.filter(request=locked, step=step_index, status=TaskStatus.PENDING)
    if step["mode"] == StepMode.ANY:
        still_pending.update(status=TaskStatus.SKIPPED, decided_at=now)
    elif still_pending.exists():
        audit.record(actor=actor, obj=locked, kind="action", verb="approval_approved")
        return locked
    _event(locked, EventKind.STEP_DONE, actor, step=step_index)
    following = _next_step(locked, step_index)
    if following is None:
        _finish(locked, actor, now=now, document_type=document_type, document=document)
    else:
        asked = _open_step(locked, following, now=now)
        locked.save(update_fields=["current_step", "step_started_at"])
        _notify("approval_requested", locked, asked, actor, key=f"step{following}:{now.timestamp()}")
    audit.record(actor=actor, obj=locked, kind="action", verb="approval_approved")
    return locked


def _back_to_submitter(
    locked: ApprovalRequest, actor: Any, *, status: str, now: Any, document_type: registry.DocumentType, document: Any
) -> None:
    _skip_pending(locked, now)
    locked.status = status
    locked.current_step = None
    locked.finished_at = now
    locked.save(update_fields=["status", "current_step", "finished_at"])
    document_type.on_returned(document, locked)


@transaction.atomic
def approval_reject(*, request: ApprovalRequest | int, actor: Any, comment: str = "") -> ApprovalRequest:
    """Back to the submitter: the request is rejected, the document editable again (``on_returned``)."""
    locked, document_type, document = _locked(actor, request)
    task = _my_task(actor, locked)
    now = timezone.now()
    step_index = locked.current_step
    _close_task(task, TaskStatus.REJECTED, comment, now)
    _event(locked, EventKind.REJECT, actor, step=step_index, comment=comment)
    _back_to_submitter(
        locked, actor, status=RequestStatus.REJECTED, now=now, document_type=document_type, document=document
    )
    audit.record(actor=actor, obj=locked, kind="action", verb="approval_rejected")
    _notify("approval_rejected", locked, [locked.submitter_id], actor, key="rejected", comment=comment)
    return locked


@transaction.atomic
def approval_return(
    *, request: ApprovalRequest | int, actor: Any, step: int | str | None, comment: str = ""
) -> ApprovalRequest:
    """Send the request back to an earlier step (its index in the request's steps): that step's
    approvers decide again, the steps between run again after it."""
    locked, _document_type, _document = _locked(actor, request)
    task = _my_task(actor, locked)
    current = locked.current_step
    assert current is not None
    try:
        target = int(step)  # type: ignore[arg-type]  # None and junk: the ValidationError below
    except (TypeError, ValueError):
        raise ValidationError({"step": _("Choose an earlier step.")}) from None
    if target < 0 or target >= current or locked.steps[target].get("skipped"):
        raise ValidationError({"step": _("Choose an earlier step.")})
    now = timezone.now()
    _close_task(task, TaskStatus.RETURNED, comment, now)
    _skip_pending(locked, now, step=current)
    _event(
        locked,
        EventKind.RETURN,
        actor,
        step=current,
        comment=comment,
        to_step=target,
        to_name=locked.steps[target]["name"],
    )
    asked = _open_step(locked, target, now=now)
    locked.save(update_fields=["current_step", "step_started_at"])
    audit.record(actor=actor, obj=locked, kind="action", verb="approval_returned")
    _notify("approval_requested", locked, asked, actor, key=f"step{target}:{now.timestamp()}")
    # the submitter learns where their request went back to (unless they decide that step themselves)
    told = [locked.submitter_id] if locked.submitter_id not in {*asked, actor.pk} else []
    name = locked.steps[target]["name"]
    _notify("approval_returned", locked, told, actor, key=f"returned:{now.timestamp()}", step=name, comment=comment)
    return locked


def has_decision(request: ApprovalRequest) -> bool:
    return ApprovalTask.objects.filter(
        request=request, status__in=(TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.RETURNED)
    ).exists()


@transaction.atomic
def approval_recall(*, request: ApprovalRequest | int, actor: Any, comment: str = "") -> ApprovalRequest:
    """The submitter takes the request back before anyone decided (``on_returned``)."""
    locked, document_type, document = _locked(actor, request)
    if locked.submitter_id != actor.pk:
        raise PermissionDenied(_("Only the submitter may recall an approval."))
    if not locked.is_pending:
        raise Conflict(_("This approval is already finished (%(status)s).") % {"status": locked.get_status_display()})
    if has_decision(locked):
        raise Conflict(_("An approver has already decided: the approval can no longer be recalled."))
    now = timezone.now()
    pending = list(
        ApprovalTask.objects.filter(request=locked, status=TaskStatus.PENDING).values_list("approver_id", flat=True)
    )
    _event(locked, EventKind.RECALL, actor, step=locked.current_step, comment=comment)
    _back_to_submitter(
        locked, actor, status=RequestStatus.RECALLED, now=now, document_type=document_type, document=document
    )
    audit.record(actor=actor, obj=locked, kind="action", verb="approval_recalled")
    _notify("approval_recalled", locked, pending, actor, key="recalled")
    return locked


def _addressable(actor: Any, user: Any, field: str) -> Any:
    """The person ``actor`` hands approvals to: one they may address (``addressable_people``, the
    people the pages offer), or a ``ValidationError`` naming ``field``."""
    pk = _pk(user)
    target = addressable_people(actor).filter(pk=as_int(pk, 0)).first()
    if target is None:
        raise ValidationError({field: _("No such user.")})
    return target


@transaction.atomic
def approval_delegate(*, request: ApprovalRequest | int, actor: Any, user: Any, comment: str = "") -> ApprovalRequest:
    """Hand the actor's pending task to another active user (who then decides in their place)."""
    locked, _document_type, _document = _locked(actor, request)
    task = _my_task(actor, locked)
    target = _addressable(actor, user, "user_id")
    if target.pk == actor.pk:
        raise ValidationError({"user_id": _("Choose someone else.")})
    if target.pk == locked.submitter_id:
        raise ValidationError({"user_id": _("The submitter cannot decide on their own request.")})
    if ApprovalTask.objects.filter(
        request=locked, step=task.step, approver_id=target.pk, status=TaskStatus.PENDING
    ).exists():
        raise ValidationError({"user_id": _("%(user)s is already an approver of this step.") % {"user": target}})
    now = timezone.now()
    _close_task(task, TaskStatus.DELEGATED, comment, now)
    ApprovalTask.objects.create(
        request=locked,
        step=task.step,
        approver=target,
        delegated_from_id=task.delegated_from_id or actor.pk,
        created_at=now,
    )
    _event(locked, EventKind.DELEGATE, actor, step=task.step, comment=comment, to_user=target.pk, to_name=str(target))
    audit.record(actor=actor, obj=locked, kind="action", verb="approval_delegated")
    _notify("approval_requested", locked, [target.pk], actor, key=f"delegated:{now.timestamp()}")
    return locked


# --- reminders and escalation (periodic) ----------------------------------------------------------------------


def approvals_remind_and_escalate(*, now: Any = None) -> dict[str, int]:
    """Remind each pending task once after its flow's ``remind_after_hours``; escalate it once after
    ``escalate_after_hours``: the flow's escalate-to user, else the approver's manager, joins the step
    as an approver — in a 或签 step beside the late approver, in a 会签 step in their place (their task
    is handed over). Idempotent: a task is reminded and escalated at most once."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    pending = (
        ApprovalTask.objects.filter(status=TaskStatus.PENDING, request__status=RequestStatus.PENDING)
        .filter(Q(reminded_at__isnull=True) | Q(escalated_at__isnull=True))
        .filter(
            Q(request__flow__remind_after_hours__isnull=False) | Q(request__flow__escalate_after_hours__isnull=False)
        )
        .values_list("pk", flat=True)
    )
    for task_id in list(pending):
        result = _remind_or_escalate(task_id, now)
        for name in result:
            counts[name] += 1
    return counts


@transaction.atomic
def _remind_or_escalate(task_id: int, now: Any) -> list[str]:
    task = ApprovalTask.objects.filter(pk=task_id).select_related("request__flow").first()
    if task is None:
        return []
    request = ApprovalRequest.objects.select_for_update().get(pk=task.request_id)
    task = ApprovalTask.objects.select_for_update().get(pk=task_id)
    flow = ApprovalFlow.objects.filter(pk=request.flow_id).first() if request.flow_id else None
    if flow is None or task.status != TaskStatus.PENDING or request.status != RequestStatus.PENDING:
        return []
    done: list[str] = []
    age = now - task.created_at
    if (
        flow.escalate_after_hours is not None
        and task.escalated_at is None
        and age >= timedelta(hours=flow.escalate_after_hours)
    ):
        targets: list[int] = []
        if flow.escalate_to_id:
            targets = [flow.escalate_to_id]
        else:
            levels = manager_levels(task.approver_id, 1)
            targets = levels[0] if levels else []
        existing = set(
            ApprovalTask.objects.filter(request=request, step=task.step, status=TaskStatus.PENDING).values_list(
                "approver_id", flat=True
            )
        )
        # a target away stands in through their own delegation; neither the late approver nor the
        # submitter is a target
        reachable = [t for t in _active_users(targets) if t != request.submitter_id]
        delegates = _delegate_of(reachable, timezone.localdate(now), submitter_id=request.submitter_id)
        active = [t for t in dict.fromkeys(delegates.get(t, t) for t in reachable) if t != task.approver_id]
        added = [t for t in active if t not in existing]
        # 会签 waits for every approver: the escalation takes over the late one's task, or it would
        # only add a decision to wait for (a target already in the step then decides for both). In
        # 或签 it joins the late approver: whoever is first decides.
        takeover = bool(active) and request.steps[task.step]["mode"] != StepMode.ANY
        on_behalf_of = (task.delegated_from_id or task.approver_id) if takeover else None
        ApprovalTask.objects.bulk_create(
            [  # an escalation is not escalated again (nor reminded): it is the last resort
                ApprovalTask(
                    request=request,
                    step=task.step,
                    approver_id=t,
                    delegated_from_id=on_behalf_of,
                    created_at=now,
                    reminded_at=now,
                    escalated_at=now,
                )
                for t in added
            ]
        )
        task.escalated_at = now
        task.reminded_at = task.reminded_at or now
        task.save(update_fields=["escalated_at", "reminded_at"])
        if takeover:
            _close_task(task, TaskStatus.DELEGATED, "", now)
        names = ", ".join(str(u) for u in get_user_model()._default_manager.filter(pk__in=active).order_by("pk"))
        _event(request, EventKind.ESCALATE, None, step=task.step, approver=task.approver_id, added=added, to_name=names)
        _notify("approval_escalated", request, active if takeover else added, None, key=f"escalate:{task.pk}")
        done.append("escalated")
    elif (
        flow.remind_after_hours is not None
        and task.reminded_at is None
        and age >= timedelta(hours=flow.remind_after_hours)
    ):
        task.reminded_at = now
        task.save(update_fields=["reminded_at"])
        _event(request, EventKind.REMIND, None, step=task.step, approver=task.approver_id)
        _notify("approval_reminder", request, [task.approver_id], None, key=f"remind:{task.pk}")
        done.append("reminded")
    return done


# --- flows (administration) ------------------------------------------------------------------------------------


def _require_administer(actor: Any, business_unit_id: int | None) -> None:
    from xietong.core.choices import DataScope

    if business_unit_id is None:
        if actor.access.widest_scope("approvals", "administer") < DataScope.GROUP:
            raise PermissionDenied(_("Only a group-wide administrator of approvals defines group-wide flows."))
        return
    if actor.access.widest_scope("approvals", "administer", business_unit_id) < DataScope.BUSINESS_UNIT:
        raise PermissionDenied(_("You do not administer the approvals of this business unit."))


def flows_administrable(actor: Any) -> models.QuerySet[ApprovalFlow]:
    """The flows ``actor`` may administer (the group's with a group scope, a BU's with that BU's)."""
    from xietong.core.choices import DataScope

    access = actor.access
    if not access.can("approvals", "administer"):
        return ApprovalFlow.objects.none()
    if access.widest_scope("approvals", "administer") >= DataScope.GROUP:
        return ApprovalFlow.objects.all()
    bus = [
        bu
        for grant in access.grants_for("approvals", "administer")
        if grant.scope >= DataScope.BUSINESS_UNIT
        for bu in access.scope_business_units(grant)
    ]
    return ApprovalFlow.objects.filter(business_unit_id__in=bus)


# The flows' whole numbers are positive integer columns: at most 2147483647 on every database (PostgreSQL
# refuses a larger one with an error, SQLite would store it).
_LARGEST = 2**31 - 1


def _hours(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number of hours.")}) from None
    if not 1 <= number <= _LARGEST:
        raise ValidationError({field: _("Enter a whole number of hours.")})
    return number


def _clean_steps(document_type: registry.DocumentType, steps: Any) -> list[dict[str, Any]]:
    from xietong.org.models import Role, Team

    if not isinstance(steps, list) or not steps:
        raise ValidationError({"steps": _("A flow needs at least one step.")})
    cleaned: list[dict[str, Any]] = []
    users = get_user_model()._default_manager
    for index, raw in enumerate(steps, start=1):
        where = f"steps.{index}"
        if not isinstance(raw, dict):
            raise ValidationError({where: _("Step %(n)s is invalid.") % {"n": index}})
        name = str(raw.get("name") or "").strip()
        if not name:
            raise ValidationError({f"{where}.name": _("Step %(n)s needs a name.") % {"n": index}})
        kind = raw.get("kind")
        if kind not in StepKind.values:
            raise ValidationError({f"{where}.kind": _("Step %(n)s: choose who approves.") % {"n": index}})
        mode = raw.get("mode") or StepMode.ALL
        if mode not in StepMode.values:
            raise ValidationError({f"{where}.mode": _("Step %(n)s: choose all or any.") % {"n": index}})
        step: dict[str, Any] = {
            "name": name[:100],
            "kind": kind,
            "mode": mode,
            "user": None,
            "role": None,
            "team": None,
        }
        step["levels"] = 1
        if kind == StepKind.USER:
            step["user"] = users.filter(pk=raw.get("user_id") or 0, is_active=True).first()
            if step["user"] is None:
                raise ValidationError({f"{where}.user_id": _("Step %(n)s: no such user.") % {"n": index}})
        elif kind == StepKind.ROLE:
            step["role"] = Role.objects.filter(pk=raw.get("role_id") or 0).first()
            if step["role"] is None:
                raise ValidationError({f"{where}.role_id": _("Step %(n)s: no such role.") % {"n": index}})
        elif kind == StepKind.TEAM:
            step["team"] = Team.objects.filter(pk=raw.get("team_id") or 0, is_active=True).first()
            if step["team"] is None:
                raise ValidationError({f"{where}.team_id": _("Step %(n)s: no such team.") % {"n": index}})
        elif kind == StepKind.MANAGER_CHAIN:
            try:
                levels = int(raw.get("levels") or 0)
            except (TypeError, ValueError):
                levels = 0
            if not 1 <= levels <= 10:
                raise ValidationError({f"{where}.levels": _("Step %(n)s: between 1 and 10 levels.") % {"n": index}})
            step["levels"] = levels
        try:
            step["conditions"] = clean_conditions(document_type, raw.get("conditions"), field=f"{where}.conditions")
        except ValidationError as exc:  # "Condition 1: …" alone reads as the flow's own condition 1
            raise ValidationError(
                {
                    key: [_("Step %(n)s: %(error)s") % {"n": index, "error": message} for message in messages]
                    for key, messages in exc.message_dict.items()
                }
            ) from None
        cleaned.append(step)
    return cleaned


def _write_flow(flow: ApprovalFlow, document_type: registry.DocumentType, values: dict[str, Any]) -> None:
    name = str(values.get("name", flow.name) or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the flow a name.")})
    flow.name = name[:100]
    if "priority" in values:
        try:
            flow.priority = int(values["priority"])
        except (TypeError, ValueError):
            raise ValidationError({"priority": _("Enter a whole number.")}) from None
        if not 0 <= flow.priority <= _LARGEST:
            raise ValidationError({"priority": _("Enter a whole number.")})
    if "conditions" in values:
        flow.conditions = clean_conditions(document_type, values["conditions"], field="conditions")
    if "is_active" in values:
        flow.is_active = bool(values["is_active"])
    if "remind_after_hours" in values:
        flow.remind_after_hours = _hours(values["remind_after_hours"], "remind_after_hours")
    if "escalate_after_hours" in values:
        flow.escalate_after_hours = _hours(values["escalate_after_hours"], "escalate_after_hours")
    if "escalate_to_id" in values:
        target = values["escalate_to_id"]
        flow.escalate_to = None
        if target not in (None, ""):
            flow.escalate_to = get_user_model()._default_manager.filter(pk=target, is_active=True).first()
            if flow.escalate_to is None:
                raise ValidationError({"escalate_to_id": _("No such user.")})


def _write_steps(flow: ApprovalFlow, steps: list[dict[str, Any]]) -> None:
    flow.steps.all().delete()
    ApprovalStep.objects.bulk_create(
        [
            ApprovalStep(
                flow=flow,
                position=position,
                name=s["name"],
                kind=s["kind"],
                mode=s["mode"],
                user=s["user"],
                role=s["role"],
                team=s["team"],
                levels=s["levels"],
                conditions=s["conditions"],
            )
            for position, s in enumerate(steps, start=1)
        ]
    )


def _document_type(code: Any) -> registry.DocumentType:
    try:
        return registry.get(str(code))
    except KeyError:
        raise ValidationError({"document_type": _("No such document type.")}) from None


@transaction.atomic
def flow_create(
    *,
    actor: Any,
    document_type: str,
    name: str,
    steps: list[dict[str, Any]],
    business_unit_id: int | None = None,
    **values: Any,
) -> ApprovalFlow:
    from xietong.org.models import BusinessUnit

    dtype = _document_type(document_type)
    if business_unit_id is not None and not BusinessUnit.objects.filter(pk=business_unit_id).exists():
        raise ValidationError({"business_unit_id": _("No such business unit.")})
    _require_administer(actor, business_unit_id)
    flow = ApprovalFlow(document_type=dtype.code, business_unit_id=business_unit_id)
    _write_flow(flow, dtype, {"name": name, **values})
    cleaned = _clean_steps(dtype, steps)
    flow.save()
    _write_steps(flow, cleaned)
    audit.record(actor=actor, obj=flow, kind="create", changes=audit.snapshot(flow))
    return flow


def _lock_flow(actor: Any, flow: ApprovalFlow | int) -> ApprovalFlow:
    found = flows_administrable(actor).select_for_update().filter(pk=_pk(flow)).first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def flow_update(
    *, actor: Any, flow: ApprovalFlow | int, steps: list[dict[str, Any]] | None = None, **values: Any
) -> ApprovalFlow:
    """Edit a flow. Requests already submitted keep the steps they were submitted with."""
    locked = _lock_flow(actor, flow)
    before = audit.snapshot(locked)
    dtype = _document_type(locked.document_type)
    _write_flow(locked, dtype, values)
    if steps is not None:
        cleaned = _clean_steps(dtype, steps)
        _write_steps(locked, cleaned)
    locked.save()
    audit.record(actor=actor, obj=locked, kind="update", changes=audit.diff(before, audit.snapshot(locked)))
    return locked


@transaction.atomic
def flow_delete(*, actor: Any, flow: ApprovalFlow | int) -> None:
    """Delete a flow no request used; a flow in use can only be deactivated (409)."""
    locked = _lock_flow(actor, flow)
    if ApprovalRequest.objects.filter(flow=locked).exists():
        raise Conflict(_("Requests were submitted through this flow: deactivate it instead."))
    audit.record(actor=actor, obj=locked, kind="delete", changes=audit.snapshot(locked))
    locked.delete()


# --- delegations ------------------------------------------------------------------------------------------


@transaction.atomic
def delegation_create(*, actor: Any, delegate: Any, starts_on: Any, ends_on: Any) -> Delegation:
    target = _addressable(actor, delegate, "delegate_id")
    if target.pk == actor.pk:
        raise ValidationError({"delegate_id": _("Choose someone else.")})
    if starts_on is None:
        raise ValidationError({"starts_on": _("Enter a date.")})
    if ends_on is None:
        raise ValidationError({"ends_on": _("Enter a date.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end is before the start.")})
    if Delegation.objects.filter(
        user_id=target.pk, delegate_id=actor.pk, is_active=True, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).exists():
        raise Conflict(_("%(user)s already hands their approvals to you then.") % {"user": target}, field="delegate_id")
    delegation = Delegation.objects.create(user=actor, delegate=target, starts_on=starts_on, ends_on=ends_on)
    audit.record(actor=actor, obj=delegation, kind="create")
    return delegation


@transaction.atomic
def delegation_end(*, actor: Any, delegation: Delegation | int) -> Delegation:
    found = Delegation.objects.select_for_update().filter(pk=_pk(delegation), user_id=actor.pk).first()
    if found is None:
        raise NotFound()
    found.is_active = False
    found.save(update_fields=["is_active"])
    audit.record(actor=actor, obj=found, kind="action", verb="delegation_ended")
    return found
