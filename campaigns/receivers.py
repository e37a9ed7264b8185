"""Signal receivers of the campaign site: page cache invalidation, section permissions and the
messages of page moderation (submitted, approved, sent back)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import (
    page_published,
    page_unpublished,
    post_page_move,
    workflow_approved,
    workflow_rejected,
    workflow_submitted,
)

from campaigns.cache import page_cache_clear


def clear_page_cache(sender, **kwargs) -> None:
    transaction.on_commit(page_cache_clear)


def review_submitted(sender, instance, **kwargs) -> None:
    from campaigns.services import page_review_announce

    page_review_announce(workflow_state=instance, outcome="submitted")


def review_approved(sender, instance, **kwargs) -> None:
    from campaigns.services import page_review_announce

    page_review_announce(workflow_state=instance, outcome="approved")


def review_rejected(sender, instance, **kwargs) -> None:
    from campaigns.services import page_review_announce

    page_review_announce(workflow_state=instance, outcome="rejected")


def role_saved(sender, instance, created, **kwargs) -> None:
    from campaigns.editing import section_permissions_sync

    if created and instance.area_id is not None:
        section_permissions_sync(area=instance.area)


def role_deleted(sender, instance, **kwargs) -> None:
    from campaigns.editing import section_role_removed

    section_role_removed(assignment=instance)


def section_saved(sender, instance, created, **kwargs) -> None:
    from campaigns.editing import review_workflow_ensure, section_permissions_sync
    from campaigns.models import DistrictHomePage

    if created:
        section_permissions_sync(area=instance.area)
        if isinstance(instance, DistrictHomePage):
            review_workflow_ensure(page=instance)


def connect() -> None:
    from wagtail.models import Page

    from assessment.signals import ranking_list_approved
    from campaigns.models import SECTION_MODELS
    from registry.models import RoleAssignment

    ranking_list_approved.connect(clear_page_cache, dispatch_uid="campaigns.ranking_list")
    page_published.connect(clear_page_cache, dispatch_uid="campaigns.published")
    page_unpublished.connect(clear_page_cache, dispatch_uid="campaigns.unpublished")
    post_page_move.connect(clear_page_cache, dispatch_uid="campaigns.moved")
    post_delete.connect(clear_page_cache, sender=Page, dispatch_uid="campaigns.deleted")
    workflow_submitted.connect(review_submitted, dispatch_uid="campaigns.review_submitted")
    workflow_approved.connect(review_approved, dispatch_uid="campaigns.review_approved")
    workflow_rejected.connect(review_rejected, dispatch_uid="campaigns.review_rejected")
    post_save.connect(role_saved, sender=RoleAssignment, dispatch_uid="campaigns.role_saved")
    post_delete.connect(role_deleted, sender=RoleAssignment, dispatch_uid="campaigns.role_deleted")
    for model in SECTION_MODELS:
        post_save.connect(section_saved, sender=model, dispatch_uid=f"campaigns.{model.__name__}")
