"""The page tree of a district's campaign site.

District home (the site root, served at "/") → town sections → village sections. Content pages
(articles and notices, campaigns, classes, songs, events, galleries, honour boards, rules, store
directories) live under any section and belong to that section's area.
"""

import datetime
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.blocks import StreamValue
from wagtail.fields import RichTextField, StreamField
from wagtail.images.models import Image
from wagtail.models import Orderable, Page
from wagtail.search import index

from assessment.selectors import ranking_list_months, ranking_list_published
from campaigns.cache import CSRF_PLACEHOLDER, is_cacheable_request
from campaigns.models.blocks import BodyBlock, GalleryBlock
from campaigns.models.classes import LessonCompletion, SessionSignup
from campaigns.search import cjk_bigrams
from points.selectors.ledger import household_points_from_source, household_points_get
from points.selectors.rules import rules_for_area
from points.selectors.scoring import honour_board_list, honour_board_periods, publicity_list
from registry.params import date_param, month_param
from registry.permissions import Action, Kind, may
from registry.scoping import visible_to
from registry.selectors import household_list_for_villager
from shops.selectors import store_directory, store_list_for_shopkeeper

# Renditions every list card uses (<picture> with WebP and a JPEG fallback, see _card.html).
THUMB_SPECS = ("format-webp|fill-160x120", "format-jpeg|fill-160x120")


def _with_thumbs(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch(
            "listing_image",
            queryset=Image.objects.prefetch_renditions(*THUMB_SPECS),
        )
    )


def _children_of(sections: list[Page]) -> Q:
    if not sections:
        return Q(pk__in=[])
    return reduce(or_, (Q(path__startswith=s.path, depth=s.depth + 1) for s in sections))


SECTION_TYPES = ["campaigns.TownSectionPage", "campaigns.VillageSectionPage"]
CONTENT_TYPES = [
    "campaigns.ArticlePage",
    "campaigns.CampaignPage",
    "campaigns.LessonPage",
    "campaigns.OfflineClassPage",
    "campaigns.SongPage",
    "campaigns.EventPage",
    "campaigns.GalleryPage",
    "campaigns.HonourBoardPage",
    "campaigns.RankingListPage",
    "campaigns.RulesPage",
    "campaigns.StoreDirectoryPage",
]
SECTION_PARENTS = [
    "campaigns.DistrictHomePage",
    "campaigns.TownSectionPage",
    "campaigns.VillageSectionPage",
]

IMAGE_MODEL = "wagtailimages.Image"


class CampaignBasePage(Page):
    """What every page of the site has: a picture and a summary for lists and for the card
    WeChat shows when a link is shared (Open Graph), and Chinese-searchable text."""

    summary = models.CharField(
        _("summary"),
        max_length=200,
        blank=True,
        help_text=_("One or two sentences shown in lists and when the link is shared."),
    )
    listing_image = models.ForeignKey(
        IMAGE_MODEL,
        verbose_name=_("picture for lists and sharing"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    promote_panels = [
        *Page.promote_panels,
        FieldPanel("summary"),
        FieldPanel("listing_image"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("search_bigrams"),
        index.FilterField("live"),
    ]
    # The text a Chinese search must find in; extended by each page type.
    search_text_fields: tuple[str, ...] = ("title", "summary")

    class Meta:
        abstract = True

    # --- Sharing ---------------------------------------------------------------------------------

    @property
    def og_title(self) -> str:
        return self.seo_title or self.title

    @property
    def og_description(self) -> str:
        return self.search_description or self.summary or ""

    # --- Search ----------------------------------------------------------------------------------

    def search_text(self) -> str:
        parts = []
        for name in self.search_text_fields:
            value = getattr(self, name, "")
            if callable(value):
                value = value()
            if isinstance(value, StreamValue):
                field = self._meta.get_field(name)
                value = " ".join(field.get_searchable_content(value))
            parts.append(strip_tags(str(value or "")))
        return " ".join(parts)

    def search_bigrams(self) -> str:
        """Overlapping pairs of Chinese characters, so that a two-character query such as 垃圾
        is a whole word to the search backend (see campaigns/search.py)."""
        return cjk_bigrams(self.search_text())

    # --- Where the page belongs -----------------------------------------------------------------

    @cached_property
    def section(self) -> "SectionPage | None":
        """The nearest section (district home, town or village) at or above this page."""
        if isinstance(self, SectionPage):
            return self
        # The page's own path and its ancestors' (two queries).
        step = Page.steplen
        paths = [self.path[:end] for end in range(step, len(self.path) + 1, step)]
        found = Page.objects.filter(path__in=paths).type(*SECTION_MODELS).order_by("-depth").first()
        return found.specific if found else None

    @property
    def area(self):
        section = self.section
        return section.area if section else None

    # --- Caching ----------------------------------------------------------------------------------

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if is_cacheable_request(request):
            # The page cache stores this HTML for every anonymous reader; it puts each reader's
            # own CSRF token in place of the placeholder (campaigns/cache.py).
            context["csrf_token"] = CSRF_PLACEHOLDER
            request.meijia_page_cacheable = True
        return context


class SectionPage(CampaignBasePage):
    """A page that stands for an area of the register: the district, a town or a village."""

    area = models.ForeignKey(
        "registry.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    area_level = ""
    content_panels = [*Page.content_panels, FieldPanel("area"), FieldPanel("intro")]
    search_text_fields = ("title", "summary", "intro")

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.area_id is None:
            return
        if self.area.level != self.area_level:
            raise ValidationError({"area": _("Choose an area of the right level.")})
        others = type(self).objects.filter(area_id=self.area_id).exclude(pk=self.pk)
        if others.exists():
            raise ValidationError({"area": _("This area already has its own section.")})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if self.shows_listing(request):
            context["listing"] = self.listing()
        return context

    def shows_listing(self, request) -> bool:
        return True

    def listing(self) -> dict:
        """What a section page lists: its newest news and notices, campaigns, classes, events, its
        sub-sections and its other pages (a fixed number of queries whatever the section's size),
        and the publicity periods (公示) running under its area (points' scoring selectors)."""
        children = _children_of([self])
        now = timezone.now()
        return {
            "publicity": list(publicity_list(area=self.area)),
            "articles": list(
                _with_thumbs(ArticlePage.objects.live().filter(children)).order_by(
                    "-first_published_at"
                )[:10]
            ),
            "campaigns": list(
                _with_thumbs(CampaignPage.objects.live().filter(children)).order_by(
                    "-first_published_at"
                )[:3]
            ),
            "lessons": list(
                _with_thumbs(LessonPage.objects.live().filter(children)).order_by(
                    "-first_published_at"
                )[:5]
            ),
            "classes": list(
                _with_thumbs(OfflineClassPage.objects.live().filter(children)).order_by(
                    "-first_published_at"
                )[:5]
            ),
            "events": list(
                _with_thumbs(
                    EventPage.objects.live().filter(children, starts_at__gte=now)
                ).order_by("starts_at")[:5]
            ),
            "subsections": list(
                Page.objects.live()
                .filter(children)
                .type(TownSectionPage, VillageSectionPage)
                .order_by("title")
            ),
            "more": list(
                Page.objects.live()
                .filter(children)
                .not_type(
                    TownSectionPage,
                    VillageSectionPage,
                    ArticlePage,
                    CampaignPage,
                    LessonPage,
                    OfflineClassPage,
                )
                .order_by("-first_published_at")[:20]
            ),
        }

    @staticmethod
    def sections_for_village(village) -> "list[SectionPage]":
        """The live sections of a village, its town and its district, district first."""
        area_ids = [area.pk for area in [*village.get_ancestors(), village]]
        sections: list[SectionPage] = []
        for model in SECTION_MODELS:
            sections.extend(model.objects.live().filter(area_id__in=area_ids))
        return sorted(sections, key=lambda s: s.depth)

    @staticmethod
    def paths_under(area_paths: list[str]) -> list[str]:
        """Tree paths of the section pages of these areas and of every area below them."""
        if not area_paths:
            return []
        area_q = reduce(or_, (Q(area__path__startswith=path) for path in area_paths))
        return [
            path
            for model in SECTION_MODELS
            for path in model.objects.filter(area_q).values_list("path", flat=True)
        ]


class DistrictHomePage(SectionPage):
    """The site's root, served at "/": the district's campaign, and for a signed-in villager their
    own home (balance, code, news of their village, town and district, their class sessions)."""

    area_level = "district"
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [*SECTION_TYPES[:1], *CONTENT_TYPES]
    template = "campaigns/district_home_page.html"

    class Meta:
        verbose_name = _("district home")
        verbose_name_plural = _("district homes")

    def serve(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            households = list(household_list_for_villager(user=request.user))
            is_staff_member = request.user.has_perm("wagtailadmin.access_admin")
            start = work_start(request.user, households=households)
            if start is not None:
                return redirect(start)
            request.meijia_households = households
            request.meijia_is_staff_member = is_staff_member
        return super().serve(request, *args, **kwargs)

    def shows_listing(self, request) -> bool:
        # A signed-in villager's home shows their own lists instead.
        return not getattr(request, "meijia_households", None)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        households = getattr(request, "meijia_households", [])
        context["households"] = households
        context["is_staff_member"] = getattr(request, "meijia_is_staff_member", False)
        if households:
            context["villager_home"] = self.villager_home(household=households[0])
        return context

    @staticmethod
    def villager_home(*, household) -> dict:
        """A villager's home: balance, newest notices and classes of their village, town and
        district, and the sessions they signed up for."""
        sections = SectionPage.sections_for_village(household.village)
        where = _children_of(sections)
        now = timezone.now()
        return {
            "household": household,
            "points": household_points_get(household=household),
            "sections": sections,
            "publicity": list(publicity_list(area=household.village)),
            "articles": list(
                _with_thumbs(ArticlePage.objects.live().filter(where)).order_by(
                    "-first_published_at"
                )[:8]
            ),
            "lessons": list(
                LessonPage.objects.live().filter(where).order_by("-first_published_at")[:4]
            ),
            "classes": list(
                OfflineClassPage.objects.live().filter(where).order_by("-first_published_at")[:4]
            ),
            "signups": list(
                SessionSignup.objects.filter(
                    household=household,
                    status__in=[SessionSignup.Status.CONFIRMED, SessionSignup.Status.WAITING],
                    session__starts_at__gte=now - datetime.timedelta(hours=3),
                )
                .select_related("session__page")
                .order_by("session__starts_at")
            ),
        }


def work_start(user, *, households: list) -> str | None:
    """Where a signed-in person with no household of their own starts at "/": staff at the work
    desk, a shopkeeper at the counter, a contractor at the team's work list; None for a
    villager (their own home) and for anyone with none of these."""
    if households:
        return None
    if user.has_perm("wagtailadmin.access_admin"):
        return "wagtailadmin_home"
    if store_list_for_shopkeeper(user=user).exists():
        return "shops:counter_home"
    if may(user, Kind.SERVICE_WORK, Action.READ):
        return "upkeep:work"
    return None


class TownSectionPage(SectionPage):
    area_level = "town"
    parent_page_types = ["campaigns.DistrictHomePage"]
    subpage_types = ["campaigns.VillageSectionPage", *CONTENT_TYPES]
    template = "campaigns/section_page.html"

    class Meta:
        verbose_name = _("town section")
        verbose_name_plural = _("town sections")


class VillageSectionPage(SectionPage):
    area_level = "village"
    parent_page_types = ["campaigns.TownSectionPage"]
    subpage_types = CONTENT_TYPES
    template = "campaigns/section_page.html"

    class Meta:
        verbose_name = _("village section")
        verbose_name_plural = _("village sections")


class ContentPage(CampaignBasePage):
    parent_page_types = SECTION_PARENTS
    subpage_types: list[str] = []

    class Meta:
        abstract = True


class ArticlePage(ContentPage):
    """News (新闻) or a notice (公告); a notice may be a publicity notice (公示) with its dates."""

    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        NOTICE = "notice", _("Notice")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEWS)
    is_publicity = models.BooleanField(
        _("publicity notice (公示)"),
        default=False,
        help_text=_("Anyone may object during the publicity period."),
    )
    publicity_starts_on = models.DateField(_("publicity starts"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("publicity ends"), null=True, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        MultiFieldPanel(
            [
                FieldPanel("is_publicity"),
                FieldPanel("publicity_starts_on"),
                FieldPanel("publicity_ends_on"),
            ],
            heading=_("Publicity"),
        ),
        FieldPanel("body"),
    ]
    search_text_fields = ("title", "summary", "body")
    template = "campaigns/article_page.html"

    class Meta:
        verbose_name = _("news or notice")
        verbose_name_plural = _("news and notices")

    def clean(self):
        super().clean()
        if self.is_publicity:
            if self.kind != self.Kind.NOTICE:
                raise ValidationError({"kind": _("A publicity notice is a notice.")})
            if not (self.publicity_starts_on and self.publicity_ends_on):
                raise ValidationError(
                    {"publicity_ends_on": _("A publicity notice needs its start and end dates.")}
                )
            if self.publicity_ends_on < self.publicity_starts_on:
                raise ValidationError({"publicity_ends_on": _("The end comes after the start.")})

    @property
    def is_publicity_open(self) -> bool:
        today = timezone.localdate()
        return bool(
            self.is_publicity
            and self.publicity_starts_on
            and self.publicity_ends_on
            and self.publicity_starts_on <= today <= self.publicity_ends_on
        )


class CampaignPage(ContentPage):
    """A campaign, such as 美在家庭, or one of its yearly pushes."""

    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("starts_on"),
        FieldPanel("ends_on"),
        FieldPanel("body"),
    ]
    search_text_fields = ("title", "summary", "body")
    template = "campaigns/campaign_page.html"

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")


class LessonPage(ContentPage):
    """An online lesson of 美她学堂: video, audio or text. A signed-in villager who finishes it
    earns the lesson rule's points once for their household."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        TEXT = "text", _("Text")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    media = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("video or audio file"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(BodyBlock(), verbose_name=_("lesson text"), blank=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=10)
    rule_code = models.SlugField(
        _("earning rule code"),
        max_length=40,
        default="class-online",
        help_text=_("The earning rule that pays for finishing this lesson."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        FieldPanel("media"),
        FieldPanel("minutes"),
        FieldPanel("body"),
        FieldPanel("rule_code"),
    ]
    search_text_fields = ("title", "summary", "body")
    template = "campaigns/lesson_page.html"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.state_for(request.user))
        return context

    def state_for(self, user) -> dict:
        """For a signed-in villager: whether their household finished the lesson, when, and the
        points it earned (0 when no rule paid; a lesson is paid once per household)."""
        if not getattr(user, "is_authenticated", False):
            return {"completion": None}
        completion = (
            LessonCompletion.objects.filter(
                lesson=self, household__in=household_list_for_villager(user=user)
            )
            .select_related("household")
            .first()
        )
        earned = None
        if completion is not None:
            earned = household_points_from_source(
                household=completion.household, source_type="lesson", source_id=self.pk
            )
        return {"completion": completion, "earned": earned}

    class Meta:
        verbose_name = _("online lesson")
        verbose_name_plural = _("online lessons")

    def clean(self):
        super().clean()
        if self.kind != self.Kind.TEXT and self.media_id is None:
            raise ValidationError({"media": _("A video or audio lesson needs its file.")})


class OfflineClassPage(ContentPage):
    """A class held in the village hall, with sessions villagers sign up for."""

    body = StreamField(BodyBlock(), verbose_name=_("about the class"), blank=True)
    teacher = models.CharField(_("teacher"), max_length=40, blank=True)
    rule_code = models.SlugField(
        _("earning rule code"),
        max_length=40,
        default="class-attend",
        help_text=_("The earning rule that pays for attending a session."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("teacher"),
        FieldPanel("body"),
        InlinePanel("sessions", label=_("sessions"), heading=_("Sessions")),
        FieldPanel("rule_code"),
    ]
    search_text_fields = ("title", "summary", "teacher", "body")
    template = "campaigns/offline_class_page.html"

    class Meta:
        verbose_name = _("class in the village hall")
        verbose_name_plural = _("classes in the village hall")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.state_for(request.user))
        return context

    def state_for(self, user) -> dict:
        """The sessions of the class with seats taken and waiting; for a signed-in villager their
        own sign-ups, for an organiser the check-in links."""
        now = timezone.now()
        sessions = list(
            self.sessions.annotate(
                taken=Count("signups", filter=Q(signups__status=SessionSignup.Status.CONFIRMED)),
                waiting=Count("signups", filter=Q(signups__status=SessionSignup.Status.WAITING)),
            ).order_by("starts_at")
        )
        for session in sessions:
            session.is_past = session.starts_at <= now
        state = {"sessions": sessions, "my_signups": [], "may_organise": False}
        if getattr(user, "is_authenticated", False):
            state["my_signups"] = list(
                visible_to(user, SessionSignup.objects.all(), kind=Kind.SIGNUP, action=Action.WRITE)
                .filter(session__page=self)
                .exclude(status=SessionSignup.Status.CANCELLED)
                .select_related("session")
            )
            state["may_organise"] = self.is_organised_by(user)
        return state

    def is_organised_by(self, user) -> bool:
        """Organisers: staff whose area contains the area of the class's section."""
        area = self.area
        return area is not None and may(user, Kind.CLASS_SESSION, Action.WRITE, area)


class ClassSession(Orderable):
    """One meeting of an offline class: when, where, how many seats."""

    page = ParentalKey(OfflineClassPage, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=80)
    capacity = models.PositiveSmallIntegerField(_("seats"), default=30)

    panels = [
        FieldPanel("starts_at"),
        FieldPanel("ends_at"),
        FieldPanel("place"),
        FieldPanel("capacity"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="session_has_seats")
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.page.title} {local:%m-%d %H:%M}"


class SongPage(ContentPage):
    """美之歌: a campaign song with its recording and lyrics."""

    audio = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("recording"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lyrics = models.TextField(_("lyrics"))
    credits = models.CharField(_("words and music"), max_length=120, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("audio"),
        FieldPanel("credits"),
        FieldPanel("lyrics"),
    ]
    search_text_fields = ("title", "summary", "credits", "lyrics")
    template = "campaigns/song_page.html"

    class Meta:
        verbose_name = _("song")
        verbose_name_plural = _("songs")


class EventPage(ContentPage):
    """美家歌谣会 and other events: when, where, the programme, and photos afterwards."""

    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=80)
    programme = StreamField(BodyBlock(), verbose_name=_("programme"), blank=True)
    photos = StreamField(
        [("gallery", GalleryBlock())], verbose_name=_("photos afterwards"), blank=True
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("starts_at"),
        FieldPanel("place"),
        FieldPanel("programme"),
        FieldPanel("photos"),
    ]
    search_text_fields = ("title", "summary", "place", "programme")
    template = "campaigns/event_page.html"

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now()


class GalleryPage(ContentPage):
    """美学小巷: pictures of a village's showcase streets, each with a caption."""

    content_panels = [
        *Page.content_panels,
        InlinePanel("images", label=_("pictures"), heading=_("Pictures"), min_num=1),
    ]
    search_text_fields = ("title", "summary", "captions")
    template = "campaigns/gallery_page.html"

    class Meta:
        verbose_name = _("gallery")
        verbose_name_plural = _("galleries")

    def captions(self) -> str:
        return " ".join(item.caption for item in self.images.all())


class GalleryImage(Orderable):
    page = ParentalKey(GalleryPage, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey(
        IMAGE_MODEL, verbose_name=_("picture"), on_delete=models.CASCADE, related_name="+"
    )
    caption = models.CharField(_("caption"), max_length=120, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]


class HonourBoardPage(ContentPage):
    """The red list (红榜) of the section's area: commended people and starred households, read
    live from the scoring app; past periods can be browsed."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    template = "campaigns/honour_board_page.html"

    class Meta:
        verbose_name = _("honour board")
        verbose_name_plural = _("honour boards")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["board"] = self.board(period_on=date_param(request.GET.get("period")))
        return context

    def board(self, *, period_on: datetime.date | None = None) -> dict:
        """The red list of the page's area for the period starting ``period_on`` (the current one
        when None), and the periods that can be browsed. Read live from points' scoring
        selectors, which list only approved results whose publicity has ended."""
        area = self.area
        if area is None:
            return {"entries": [], "periods": [], "period": None}
        periods = list(honour_board_periods(area=area))
        if period_on is None and periods:
            period_on = periods[0].period_on  # the current list: the newest period
        entries = list(honour_board_list(area=area, period_on=period_on)) if periods else []
        return {"entries": entries, "periods": periods, "period": period_on}


class RankingListPage(ContentPage):
    """The district's monthly red and black lists of villages (红黑榜), read live from the
    assessment platform: approved lists only, the newest first, earlier months browsable."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    template = "campaigns/ranking_list_page.html"

    class Meta:
        verbose_name = _("red and black list")
        verbose_name_plural = _("red and black lists")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["lists"] = self.lists(month=month_param(request.GET.get("month")))
        return context

    def lists(self, *, month: datetime.date | None = None) -> dict:
        """The approved red and black list of the page's district (the newest, or ``month``'s),
        with the months that can be browsed; read live from assessment's selectors."""
        area = self.area
        if area is None:
            return {"list": None, "months": []}
        return {
            "list": ranking_list_published(area=area, month=month),
            "months": ranking_list_months(area=area),
        }


class RulesPage(ContentPage):
    """The earning rules in force in the section's area, live from the points app."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    template = "campaigns/rules_page.html"

    class Meta:
        verbose_name = _("rules page")
        verbose_name_plural = _("rules pages")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        area = self.area
        context["rules"] = rules_for_area(area=area, on=timezone.localdate()) if area else []
        return context


class StoreDirectoryPage(ContentPage):
    """The 美家超市 of the section's area with their hours, address and what they stock."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    template = "campaigns/store_directory_page.html"

    class Meta:
        verbose_name = _("store directory")
        verbose_name_plural = _("store directories")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # The open 美家超市 in the area or serving its villages, with what they stock (two
        # queries, through the shops app's selector).
        area = self.area
        context["stores"] = list(store_directory(area_path=area.path)) if area else []
        return context


# Pages whose lists a section shows, newest first.
LISTED_TYPES = (ArticlePage, CampaignPage, LessonPage, OfflineClassPage, SongPage, EventPage)
SECTION_MODELS = (DistrictHomePage, TownSectionPage, VillageSectionPage)
