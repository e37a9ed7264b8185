"""The review step of the moderation workflow: a district or town administrator whose area
contains the page's section approves it. Editors draft and submit; they cannot publish."""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, Task, TaskState

from campaigns.models.pages import SectionPage
from registry.permissions import Action, Kind, area_paths, may


def user_may_review(user, page) -> bool:
    """Whether ``user`` reviews ``page``: a superuser, or a reviewer (``Kind.PAGE`` approve) of an
    area that contains the area of the page's section."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    page = page.specific if isinstance(page, Page) else page
    area = getattr(page, "area", None)
    return area is not None and may(user, Kind.PAGE, Action.APPROVE, area)


class AreaReviewTask(Task):
    """Approval by a reviewer of the page's area (see ``user_may_review``)."""

    def user_can_access_editor(self, obj, user):
        return user_may_review(user, obj)

    def locked_for_user(self, obj, user):
        return not user_may_review(user, obj)

    def user_can_lock(self, obj, user):
        return user_may_review(user, obj)

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if user_may_review(user, obj):
            return [
                ("reject", _("Request changes"), True),
                ("approve", _("Approve"), False),
                ("approve", _("Approve with comment"), True),
            ]
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if user.is_superuser:
            return states
        return states.filter(workflow_state__object_id__in=self.page_ids_reviewable_by(user))

    @staticmethod
    def page_ids_reviewable_by(user) -> list[str]:
        """Ids (as text, like workflow states keep them) of the pages under the sections of the
        areas a reviewer administers."""
        section_paths = SectionPage.paths_under(area_paths(user, Kind.PAGE, Action.APPROVE))
        if not section_paths:
            return []
        pages = Page.objects.filter(reduce(or_, (Q(path__startswith=p) for p in section_paths)))
        return [str(pk) for pk in pages.values_list("pk", flat=True)]

    @classmethod
    def get_description(cls):
        return _("A district or town administrator of the page's area approves it")

    class Meta:
        verbose_name = _("area review")
        verbose_name_plural = _("area reviews")
