"""Who edits and who reviews which part of the site.

Each section page (district, town, village) has two groups: its editors (add and change pages,
no publishing: they submit for review) and its reviewers (district and town administrators, who
may also publish). A user joins them when a role over the section's area is assigned
(``RoleAssignment`` saved) and leaves when it is removed; a new section picks up the roles that
already exist. The moderation workflow ``区镇审核`` (one ``AreaReviewTask``) is assigned to the
district home, so every page below it is reviewed before it goes live.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from campaigns.models import SECTION_MODELS, AreaReviewTask
from registry.models import Area, RoleAssignment
from registry.permissions import Action, Kind, roles_for

# Reviewers publish; editors write and submit for review.
REVIEWER_ROLES = roles_for(Kind.PAGE, Action.APPROVE)
EDITOR_ROLES = roles_for(Kind.PAGE, Action.WRITE) - REVIEWER_ROLES
EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page"]
REVIEWER_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page"]
MEDIA_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "choose_document"),
]
WORKFLOW_NAME = "区镇审核"


def _group(area: Area, kind: str) -> Group:
    group, _created = Group.objects.get_or_create(name=f"meijia:section:{area.pk}:{kind}")
    return group


def _page_permissions(codenames: list[str]) -> list[Permission]:
    return list(
        Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=codenames)
    )


def section_permissions_sync(*, area: Area) -> None:
    """Give the editor and reviewer groups of ``area`` their rights on its section pages and put
    the area's editors and administrators in them (idempotent)."""
    sections = [page for model in SECTION_MODELS for page in model.objects.filter(area=area)]
    if not sections:
        return  # done when the area's section is created
    with transaction.atomic():
        editors, reviewers = _group(area, "editor"), _group(area, "reviewer")
        root_collection = Collection.get_first_root_node()
        for group, codenames in (
            (editors, EDITOR_PAGE_PERMISSIONS),
            (reviewers, REVIEWER_PAGE_PERMISSIONS),
        ):
            for page in sections:
                for permission in _page_permissions(codenames):
                    GroupPagePermission.objects.get_or_create(
                        group=group, page=page, permission=permission
                    )
            for app_label, codename in MEDIA_PERMISSIONS if root_collection else []:
                permission = Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=root_collection, permission=permission
                )
        holders = RoleAssignment.objects.filter(area=area).select_related("user")
        for assignment in holders:
            if assignment.role in EDITOR_ROLES:
                assignment.user.groups.add(editors)
            elif assignment.role in REVIEWER_ROLES:
                assignment.user.groups.add(reviewers)


def section_role_removed(*, assignment: RoleAssignment) -> None:
    """Take a user out of the section group a removed role had put them in."""
    if assignment.area_id is None:
        return
    kind = (
        "editor"
        if assignment.role in EDITOR_ROLES
        else "reviewer"
        if assignment.role in REVIEWER_ROLES
        else None
    )
    if kind is None:
        return
    group = Group.objects.filter(name=f"meijia:section:{assignment.area_id}:{kind}").first()
    still_holds = RoleAssignment.objects.filter(
        user_id=assignment.user_id,
        area_id=assignment.area_id,
        role__in=EDITOR_ROLES if kind == "editor" else REVIEWER_ROLES,
    ).exists()
    if group is not None and not still_holds:
        assignment.user.groups.remove(group)


def review_workflow_ensure(*, page: Page) -> Workflow:
    """The area review workflow, assigned to ``page`` (a district home) and everything below."""
    with transaction.atomic():
        workflow, created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
        if created or not workflow.workflow_tasks.exists():
            task = AreaReviewTask.objects.create(name="区镇管理员审核")
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})
    return workflow
