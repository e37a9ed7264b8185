"""The demo district's campaign site, written for this project: a campaign, news and notices,
classes with sessions, a song, an event, a gallery, honour boards, rules and a store directory.

Pictures are drawn with Pillow (no downloads); the song's recording is a short generated tone.
Idempotent: when the district already has its home page, nothing is created.
"""

import datetime
import io
import math
import struct
import wave

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Page, Site

from campaigns.models import (
    ArticlePage,
    CampaignPage,
    ClassSession,
    DistrictHomePage,
    EventPage,
    GalleryImage,
    GalleryPage,
    HonourBoardPage,
    LessonPage,
    OfflineClassPage,
    RankingListPage,
    RulesPage,
    SongPage,
    StoreDirectoryPage,
    TownSectionPage,
    VillageSectionPage,
)
from campaigns.services import session_sign_up
from registry.models import Area, Household, User

PALETTE = [
    ((196, 30, 58), (255, 214, 102)),
    ((46, 125, 50), (200, 230, 201)),
    ((21, 101, 192), (187, 222, 251)),
    ((121, 85, 72), (239, 235, 233)),
    ((230, 81, 0), (255, 224, 178)),
    ((0, 121, 107), (178, 223, 219)),
]


def _picture(title: str, alt: str, index: int) -> Image:
    """A simple drawn scene: sky, fields, a row of houses with red lanterns."""
    dark, light = PALETTE[index % len(PALETTE)]
    width, height = 960, 640
    img = PILImage.new("RGB", (width, height), light)
    draw = ImageDraw.Draw(img)
    for y in range(height // 2, height):
        shade = int(40 * (y - height / 2) / (height / 2))
        draw.line([(0, y), (width, y)], fill=(max(dark[0] - shade, 0), dark[1], dark[2]))
    for n in range(5):
        x = 60 + n * 180 + (index * 23) % 40
        draw.rectangle([x, 250, x + 140, 380], fill=(245, 240, 230), outline=(90, 90, 90), width=3)
        draw.polygon([(x - 15, 250), (x + 70, 185), (x + 155, 250)], fill=(110, 60, 50))
        draw.rectangle([x + 55, 310, x + 85, 380], fill=(150, 90, 60))
        draw.ellipse([x + 100, 265, x + 124, 291], fill=(214, 40, 40))
    draw.ellipse([width - 170, 40, width - 90, 120], fill=(255, 236, 150))
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=82)
    return Image.objects.create(
        title=title, description=alt, file=ImageFile(buffer, name=f"demo-{index}.jpg")
    )


def _tone(seconds: float = 2.0) -> ContentFile:
    """A short, quiet tone as a WAV file: the demo song's 'recording'."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(rate * seconds))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return ContentFile(buffer.getvalue(), name="meizhige-demo.wav")


def _p(*paragraphs: str) -> list:
    return [("paragraph", "".join(f"<p>{text}</p>" for text in paragraphs))]


NEWS = [
    # (where, kind, title, summary, paragraphs, days ago)
    (
        "district",
        "news",
        "全区美在家庭推进会召开",
        "三镇四街道交流经验，年底前实现垃圾分类积分全覆盖。",
        [
            "11月18日，区里召开美在家庭工作推进会。各镇街道负责同志介绍了垃圾分类、"
            "美家美院评比和美家超市运行情况。",
            "会议要求，年底前每个村都要有积分兑换点，评比结果要先公示再上红榜，"
            "做到公开、公平、让群众服气。",
        ],
        1,
    ),
    (
        "district",
        "notice",
        "关于冬季防火和清理三大堆的通知",
        "请各户在本月底前清理院内外柴草堆、粪堆和垃圾堆。",
        [
            "入冬以后天干物燥。请各家各户在11月30日前把院里院外的柴草堆、粪堆、垃圾堆清理干净，"
            "柴草要码放整齐、远离灶台。",
            "村两委将逐户查看，清理到位的户在美家美院评比中加分。",
        ],
        2,
    ),
    (
        "district",
        "news",
        "美家超市上新：积分可换冬季棉手套",
        "本周起各村美家超市增加手套、毛巾、洗衣粉等日用品。",
        [
            "按照村民的建议，各村美家超市本周起增加棉手套、毛巾、洗衣粉等冬季用品。",
            "积分可以在本村超市使用，兑换时请出示手机上的美家码或户卡。",
        ],
        4,
    ),
    (
        "town",
        "notice",
        "青禾镇2026年度美家美院评选结果公示",
        "公示期七天，如有异议请向村委会或镇妇联反映。",
        [
            "经各村推荐、镇评审组入户查看，以下家庭拟评为本年度美家美院示范户（名单附后）。",
            "公示期间，任何村民都可以实名提出意见，镇妇联会在三个工作日内答复。",
        ],
        3,
    ),
    (
        "town",
        "news",
        "镇卫生院进村讲解厕所卫生",
        "改厕以后怎么用、怎么管，医生上门讲。",
        [
            "镇卫生院的医生走进各村，给改过厕的家庭讲解厕所日常清洁和粪污处理。",
            "医生提醒：厕所要勤冲洗、常通风，化粪池满了要及时联系村里清掏，不要自己乱倒。",
        ],
        6,
    ),
    (
        "town",
        "news",
        "柳树湾村的美学小巷成了打卡点",
        "村民自己动手刷墙、种花，小巷变了样。",
        [
            "柳树湾村的老巷子过去堆满杂物。今年村民们一起清理残垣断壁，刷白墙、种月季。",
            "现在，周末常有邻村的人来小巷拍照，村里的老人说：“住了一辈子，没见这么干净过。”",
        ],
        9,
    ),
    (
        "village",
        "notice",
        "杏花村本周六集中清理沟渠",
        "周六上午八点在村委会门口集合，带上铁锹和扫帚。",
        [
            "本周六上午八点，村里组织集中清理村东沟渠和池塘边的垃圾，请每户至少来一个人。",
            "参加的农户按村规记志愿服务积分，不方便出工的老人可以在家门口帮忙分拣垃圾。",
        ],
        0,
    ),
    (
        "village",
        "news",
        "杏花村垃圾分类检查：九成农户达到优良",
        "网格员每周入户，分得清、投得准的户越来越多。",
        [
            "本月网格员对全村农户开展了四次垃圾分类检查，九成农户达到优良。",
            "检查发现，厨余垃圾和其他垃圾混投的情况明显减少。个别户的垃圾桶旁边还有散落垃圾，"
            "网格员已经上门提醒。",
        ],
        2,
    ),
    (
        "village",
        "notice",
        "关于评选好媳妇、好婆婆的通知",
        "每个村民小组推荐一到两名，月底前报村委会。",
        [
            "为弘扬好家风，村里开展好媳妇、好婆婆评选。请各村民小组召开户主会推荐人选，",
            "推荐材料写清楚好在哪里，本月25日前交到村委会。评选结果先公示七天，无异议后上红榜。",
        ],
        5,
    ),
    (
        "village",
        "news",
        "杏花村美家超市开张一个月",
        "一个月兑换了三百多次，最受欢迎的是食用油和洗衣液。",
        [
            "村里的美家超市开张一个月，村民用积分兑换了三百多次。",
            "店主说，最受欢迎的是食用油、洗衣液和酱油醋。很多老人专门来问怎么多攒积分。",
        ],
        12,
    ),
    (
        "village",
        "news",
        "村里的老党员带头改厕",
        "杜大爷家第一个改了水冲厕所，邻居们都来参观。",
        [
            "八十岁的老党员杜大爷家，是村里第一个改水冲厕所的。",
            "他说：“以前的旱厕一到夏天就有味，现在干干净净，孙子放假回来也愿意住了。”"
            "在他的带动下，第三组已有十几户报名改厕。",
        ],
        15,
    ),
    (
        "district",
        "news",
        "美她学堂开课：家门口学收纳和家庭教育",
        "线下课在村委会，线上课手机就能看，学完有积分。",
        [
            "美她学堂面向农村妇女和老人，开设院落收纳、家庭教育、健康生活等课程。",
            "线下课在各村村委会会议室，手机上报名；线上课随时能看，学完可以得积分。",
        ],
        7,
    ),
]

LYRICS = """青砖小院扫得净，
门前花开一路红。
垃圾分好放进桶，
干干净净好家风。

婆婆夸媳妇手巧，
媳妇说婆婆心宽。
一家和气满院笑，
美在家庭美在咱。"""


def seed_campaign_site(
    *, district: Area, town: Area, village: Area, sign_up_villager: bool = True
) -> tuple[None, str]:
    """Create the demo site for ``district`` (once) and make it the site served at "/".
    With ``sign_up_villager`` the demo villager's household has a seat at the first session."""
    if DistrictHomePage.objects.filter(area=district).exists():
        return None, "网站已存在，未改动"
    with transaction.atomic():
        counts = _build(
            district=district, town=town, village=village, sign_up_villager=sign_up_villager
        )
    return None, "，".join(f"{label} {n} 个" for label, n in counts.items())


def _add(parent: Page, page: Page, when: datetime.datetime) -> Page:
    page.first_published_at = when
    page.last_published_at = when
    return parent.add_child(instance=page)


def _build(*, district: Area, town: Area, village: Area, sign_up_villager: bool) -> dict[str, int]:
    now = timezone.now()
    images = [
        _picture("村口新貌", "整洁的村口，白墙红灯笼", 0),
        _picture("分类垃圾桶", "农户门前摆放的分类垃圾桶", 1),
        _picture("美学小巷", "刷白的小巷两边种着月季", 2),
        _picture("美家美院", "收拾整齐的农家院落", 3),
        _picture("歌谣会", "村民在文化广场演唱歌谣", 4),
        _picture("美她学堂", "妇女们在村委会会议室听课", 5),
    ]
    root = Page.get_first_root_node()
    home = root.add_child(
        instance=DistrictHomePage(
            title=f"美在家庭 · {district.name}",
            slug="meijia",
            area=district,
            summary="美在家庭，美在每一个院落。看通知、学本领、攒积分、换好物。",
            intro="<p>这里是全区美在家庭行动的网站：新闻公告、美她学堂、美之歌、红榜，都在这里。</p>",
            listing_image=images[0],
        )
    )
    site = Site.objects.filter(is_default_site=True).first()
    old_root = site.root_page if site else None
    if site is None:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    else:
        site.root_page = home
        site.site_name = "美家"
        site.save()
    if (
        old_root is not None
        and old_root.pk != home.pk
        and old_root.depth == 2
        and old_root.specific_class is Page
        and not old_root.get_children().exists()
    ):
        old_root.delete()  # Wagtail's "Welcome" page

    town_page = home.add_child(
        instance=TownSectionPage(
            title=town.name, slug="town", area=town, summary=f"{town.name}的美在家庭行动。"
        )
    )
    village_pages = {}
    for index, area in enumerate(town.get_children().filter(level=Area.Level.VILLAGE)):
        village_pages[area.pk] = town_page.add_child(
            instance=VillageSectionPage(
                title=area.name,
                slug=f"village-{index + 1}",
                area=area,
                summary=f"{area.name}的通知、课堂和红榜。",
            )
        )
    village_page = village_pages.get(village.pk) or next(iter(village_pages.values()))
    where = {"district": home, "town": town_page, "village": village_page}

    _add(
        home,
        CampaignPage(
            title="美在家庭行动",
            slug="meizaijiating",
            summary="从一个院子、一只垃圾桶做起，让每个家庭都美起来。",
            listing_image=images[3],
            starts_on=datetime.date(now.year, 3, 1),
            body=[
                *_p(
                    "美在家庭行动以家庭为单位，围绕院落整洁、垃圾分类、好家风三件事，"
                    "用积分激励大家一起把家园变美。",
                    "做得好的家庭可以得积分，积分能在村里的美家超市换日用品；"
                    "年底评选美家美院，结果公示以后上红榜。",
                ),
                ("image", {"image": images[3], "decorative": False, "alt_text": "整齐的农家院落"}),
                ("quote", {"text": "家家院里净，村村有新风。", "attribution": "杏花村村民"}),
                (
                    "gallery",
                    {
                        "title": "各村新貌",
                        "images": [
                            {"image": images[0], "caption": "村口新貌"},
                            {"image": images[2], "caption": "美学小巷"},
                            {"image": images[1], "caption": "门前分类桶"},
                        ],
                    },
                ),
                (
                    "call_to_action",
                    {
                        "text": "想多攒积分？来美她学堂学一学。",
                        "button": "去上课",
                        "page": None,
                        "url": "/",
                    },
                ),
            ],
        ),
        now - datetime.timedelta(days=20),
    )
    for n, (place, kind, title, summary, paragraphs, days) in enumerate(NEWS):
        publicity = kind == "notice" and "公示" in title
        _add(
            where[place],
            ArticlePage(
                title=title,
                slug=f"news-{n + 1}",
                kind=kind,
                summary=summary,
                is_publicity=publicity,
                publicity_starts_on=(now - datetime.timedelta(days=days)).date()
                if publicity
                else None,
                publicity_ends_on=(now + datetime.timedelta(days=7 - days)).date()
                if publicity
                else None,
                listing_image=images[n % len(images)] if n % 3 == 0 else None,
                body=_p(*paragraphs),
            ),
            now - datetime.timedelta(days=days, hours=n),
        )

    _add(
        home,
        LessonPage(
            title="垃圾分类四分法",
            slug="lesson-sorting",
            kind=LessonPage.Kind.TEXT,
            minutes=5,
            summary="厨余、可回收、有害、其他，五分钟学会。",
            body=_p(
                "厨余垃圾：剩饭剩菜、菜叶果皮，放绿色桶。",
                "可回收物：纸箱、塑料瓶、旧衣服，放蓝色桶，攒多了可以卖钱。",
                "有害垃圾：废电池、过期药、灯管，放红色桶，千万不要乱扔。",
                "其他垃圾：灰土、尿不湿、脏纸巾，放灰色桶。",
            ),
        ),
        now - datetime.timedelta(days=6),
    )
    _add(
        home,
        LessonPage(
            title="院落收纳小窍门",
            slug="lesson-courtyard",
            kind=LessonPage.Kind.TEXT,
            minutes=8,
            summary="农具、柴草、杂物怎么放才整齐。",
            body=_p(
                "农具挂墙上，柴草码成垛，杂物进棚子，院子一下子就宽敞了。",
                "每周固定一天全家一起收拾，孩子也能帮忙。",
            ),
        ),
        now - datetime.timedelta(days=8),
    )
    course = _add(
        village_page,
        OfflineClassPage(
            title="美她学堂：好家风 好家教",
            slug="class-family",
            teacher="镇妇联 刘老师",
            summary="在村委会会议室，讲家庭教育和邻里相处。",
            listing_image=images[5],
            body=_p("课上会讲怎样和孩子说话、婆媳怎样相处，还有村里好家庭的故事。"),
        ),
        now - datetime.timedelta(days=3),
    )
    sessions = []
    for days, capacity in ((3, 30), (10, 2)):
        start = (now + datetime.timedelta(days=days)).replace(
            hour=1, minute=30, second=0, microsecond=0
        )
        session = ClassSession.objects.create(
            page=course,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1, minutes=30),
            place=f"{village.name}村委会会议室",
            capacity=capacity,
        )
        sessions.append(session)
    # The demo villager (household 0001 of the village) has signed up for the first session.
    household = Household.objects.filter(village=village).order_by("number").first()
    villager = household and User.objects.filter(roles__household=household).first()
    if villager is not None and sign_up_villager:
        session_sign_up(session=sessions[0], household=household, actor=villager)
    recording = Document.objects.create(title="美之歌（演示录音）", file=_tone())
    _add(
        home,
        SongPage(
            title="美之歌",
            slug="meizhige",
            audio=recording,
            credits="词：杏花村文艺队 曲：青禾镇文化站",
            summary="唱给每一个干净整洁的家。",
            lyrics=LYRICS,
        ),
        now - datetime.timedelta(days=10),
    )
    _add(
        town_page,
        EventPage(
            title="青禾镇美家歌谣会",
            slug="geyaohui",
            starts_at=(now + datetime.timedelta(days=14)).replace(
                hour=11, minute=0, second=0, microsecond=0
            ),
            place="青禾镇文化广场",
            summary="各村文艺队唱美家歌谣、讲家风故事。",
            listing_image=images[4],
            programme=_p(
                "一、开场合唱《美之歌》",
                "二、快板《垃圾分类好处多》",
                "三、家风故事会",
                "四、为美家美院示范户颁奖",
            ),
            photos=[
                (
                    "gallery",
                    {
                        "title": "去年的歌谣会",
                        "images": [{"image": images[4], "caption": "文艺队合唱"}],
                    },
                )
            ],
        ),
        now - datetime.timedelta(days=2),
    )
    gallery = _add(
        village_page,
        GalleryPage(
            title=f"{village.name}美学小巷",
            slug="gallery",
            summary="村民自己动手，把老巷子变美了。",
            listing_image=images[2],
        ),
        now - datetime.timedelta(days=9),
    )
    for order, (image, caption) in enumerate(
        [(images[2], "刷白的小巷"), (images[0], "村口的灯笼"), (images[3], "整洁的院落")]
    ):
        GalleryImage.objects.create(page=gallery, image=image, caption=caption, sort_order=order)
    for parent, title in ((home, "全区红榜"), (village_page, f"{village.name}红榜")):
        _add(
            parent,
            HonourBoardPage(
                title=title,
                slug="honour",
                intro="<p>评选结果公示期满、没有异议的，上红榜。</p>",
            ),
            now - datetime.timedelta(days=1),
        )
    _add(
        home,
        RankingListPage(
            title="红黑榜",
            slug="red-black",
            intro="<p>每月按考核得分评出红榜和黑榜，区里审定后公布；上黑榜的村写明问题。</p>",
        ),
        now - datetime.timedelta(days=2),
    )
    _add(home, RulesPage(title="积分细则", slug="rules"), now - datetime.timedelta(days=30))
    _add(
        village_page,
        StoreDirectoryPage(title="美家超市", slug="stores"),
        now - datetime.timedelta(days=30),
    )
    return {
        "栏目": 2 + len(village_pages),
        "新闻公告": len(NEWS),
        "课堂": 3,
        "图片": len(images),
        "其他页面": 7,
    }
