"""Writes of the campaign site: class sign-ups, cancellations, check-ins, finished lessons.

Messages (a seat freed from the waiting list, the reminder the day before) are written into the
outbox in the same transaction. Locks: a sign-up, cancellation or check-in locks the session row (``SELECT … FOR UPDATE``) first
and nothing else, so seats are counted and given under one lock and the last seat goes to exactly
one household. Points are not written here: on commit, ``points.signals.activity_completed`` is
sent and points' receiver awards them once (the idempotency key names the activity).
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.cache import page_cache_clear
from campaigns.exceptions import ClassError
from campaigns.models import ClassSession, LessonCompletion, LessonPage, SessionSignup
from outbox.services import message_send
from points.signals import activity_completed
from registry.models import Household, User
from registry.permissions import Action, Kind, roles_for
from registry.services.codes import CodeRefused, code_consume, code_read

logger = logging.getLogger(__name__)
Status = SessionSignup.Status


def _announce(**kwargs) -> None:
    """Send ``activity_completed`` after the surrounding transaction commits."""

    def send():
        for receiver, result in activity_completed.send_robust(sender=SessionSignup, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "activity_completed receiver %s failed for %s",
                    receiver,
                    kwargs["idempotency_key"],
                    exc_info=result,
                )

    transaction.on_commit(send)


def _locked_session(session: ClassSession) -> ClassSession:
    return ClassSession.objects.select_for_update().select_related("page").get(pk=session.pk)


def may_organise(*, user: User, session: ClassSession) -> bool:
    """Whether ``user`` organises ``session`` (OfflineClassPage.is_organised_by)."""
    return session.page.is_organised_by(user)


def session_sign_up(*, session: ClassSession, household: Household, actor: User) -> SessionSignup:
    """Give ``household`` a seat at ``session``, or a place on the waiting list when the seats are
    taken. Signing up again returns the household's existing sign-up."""
    if session.starts_at <= timezone.now():
        raise ClassError("started", _("This session has already started."))
    if not session.page.live:
        raise ClassError("not_published", _("This class is not published."))
    with transaction.atomic():
        session = _locked_session(session)
        existing = (
            SessionSignup.objects.filter(session=session, household=household)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if existing is not None:
            return existing
        taken = SessionSignup.objects.filter(session=session, status=Status.CONFIRMED).count()
        signup = SessionSignup.objects.create(
            session=session,
            household=household,
            signed_up_by=actor,
            status=Status.CONFIRMED if taken < session.capacity else Status.WAITING,
        )
        transaction.on_commit(page_cache_clear)
    return signup


def session_cancel(*, signup: SessionSignup, actor: User) -> SessionSignup:
    """Cancel a sign-up; a freed seat goes to the first household on the waiting list."""
    with transaction.atomic():
        _locked_session(signup.session)
        signup = SessionSignup.objects.get(pk=signup.pk)
        if signup.status == Status.CANCELLED:
            return signup
        if signup.checked_in_at is not None:
            raise ClassError("checked_in", _("You have already been checked in."))
        had_seat = signup.status == Status.CONFIRMED
        signup.status = Status.CANCELLED
        signup.cancelled_at = timezone.now()
        signup.save(update_fields=["status", "cancelled_at"])
        if had_seat:
            following = (
                SessionSignup.objects.filter(session_id=signup.session_id, status=Status.WAITING)
                .order_by("created_at", "id")
                .first()
            )
            if following is not None:
                following.status = Status.CONFIRMED
                following.save(update_fields=["status"])
                session = signup.session
                message_send(
                    template="classes.seat_freed",
                    data={
                        "class": session.page.title,
                        "time": f"{timezone.localtime(session.starts_at):%m-%d %H:%M}",
                    },
                    households=[following.household],
                    event_key=f"seat:{following.pk}",
                )
        transaction.on_commit(page_cache_clear)
    return signup


def class_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind every household with a seat at a session that starts tomorrow (local date); once
    per sign-up however often it runs (Celery beat ``remind-classes-daily``). Returns the
    messages written."""
    today = today or timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    written = 0
    signups = (
        SessionSignup.objects.filter(
            status=Status.CONFIRMED,
            session__starts_at__date=tomorrow,
            session__page__live=True,
        )
        .select_related("session__page", "household")
        .order_by("id")
    )
    for signup in signups:
        session = signup.session
        with transaction.atomic():
            written += message_send(
                template="classes.tomorrow",
                data={
                    "class": session.page.title,
                    "time": f"{timezone.localtime(session.starts_at):%H:%M}",
                    "place": session.place,
                },
                households=[signup.household],
                event_key=f"class-reminder:{signup.pk}",
            )
    return written


def page_review_announce(*, workflow_state, outcome: str) -> int:
    """Messages of page moderation (Wagtail's workflow signals): a page submitted tells the
    reviewers of its area (district and town administrators above its section, not the
    submitter); approved or sent back (with the reviewer's comment) tells the submitter.
    Written in the transaction of the workflow step; returns the messages written."""
    page = workflow_state.content_object
    page = getattr(page, "specific", page)
    requester = workflow_state.requested_by
    title = getattr(page, "title", str(page))
    key = f"page-review:{workflow_state.pk}:{outcome}"
    if outcome == "submitted":
        area = getattr(page, "area", None)
        if area is None:
            return 0
        reviewers = User.objects.filter(
            roles__role__in=roles_for(Kind.PAGE, Action.APPROVE),
            roles__area__path__in=area.path_and_ancestors,
            is_active=True,
        ).distinct()
        if requester is not None:
            reviewers = reviewers.exclude(pk=requester.pk)
        editor = (requester.get_full_name() or requester.get_username()) if requester else ""
        return message_send(
            template="pages.submitted",
            data={"page": title, "editor": editor},
            users=list(reviewers),
            event_key=key,
        )
    if requester is None:
        return 0
    if outcome == "approved":
        return message_send(
            template="pages.approved", data={"page": title}, users=[requester], event_key=key
        )
    task_state = workflow_state.current_task_state
    comment = (task_state.get_comment() if task_state else "") or ""
    return message_send(
        template="pages.rejected",
        data={"page": title, "comment": comment.strip()[:300]},
        users=[requester],
        event_key=f"{key}:{task_state.pk if task_state else 0}",
    )


def session_check_in(*, session: ClassSession, code: str, actor: User) -> SessionSignup:
    """Check in the household whose code the organiser scanned or typed. The household must have
    signed up (a seat or the waiting list: they came). Checking in twice is refused; points for
    attending are awarded once, on commit."""
    if not may_organise(user=actor, session=session):
        raise ClassError("not_organiser", _("You cannot check people in for this class."))
    try:
        scanned = code_read(code, actor=actor)
    except CodeRefused as refused:
        raise ClassError(refused.code, refused.message) from refused
    household = scanned.household
    with transaction.atomic():
        session = _locked_session(session)
        signup = (
            SessionSignup.objects.filter(session=session, household=household)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if signup is None:
            raise ClassError(
                "not_signed_up",
                _("%(household)s has not signed up for this session.")
                % {"household": household.masked_name},
            )
        if signup.checked_in_at is not None:
            raise ClassError(
                "already_checked_in",
                _("%(household)s is already checked in.") % {"household": household.masked_name},
            )
        try:
            code_consume(scanned, purpose="class_check_in")
        except CodeRefused as refused:
            raise ClassError(refused.code, refused.message) from refused
        signup.checked_in_at = timezone.now()
        signup.checked_in_by = actor
        signup.save(update_fields=["checked_in_at", "checked_in_by"])
        _announce(
            household=household,
            rule_category="class",
            rule_code=session.page.rule_code,
            source_type="class_session",
            source_id=session.pk,
            actor=actor,
            idempotency_key=f"class-session:{session.pk}:{household.pk}",
            occurred_on=timezone.localdate(session.starts_at),
            reason=session.page.title[:200],
        )
    return signup


def lesson_complete(*, lesson: LessonPage, household: Household, actor: User) -> LessonCompletion:
    """Record that ``household`` finished ``lesson``; the first time earns the lesson's points."""
    if not lesson.live:
        raise ClassError("not_published", _("This lesson is not published."))
    existing = LessonCompletion.objects.filter(lesson=lesson, household=household).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            completion = LessonCompletion.objects.create(
                lesson=lesson, household=household, user=actor
            )
            _announce(
                household=household,
                rule_category="class",
                rule_code=lesson.rule_code,
                source_type="lesson",
                source_id=lesson.pk,
                actor=actor,
                idempotency_key=f"lesson:{lesson.pk}:{household.pk}",
                reason=lesson.title[:200],
            )
    except IntegrityError:
        return LessonCompletion.objects.get(lesson=lesson, household=household)
    return completion
