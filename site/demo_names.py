"""Invented data for ``manage.py seed_demo``: a fictional district, its places and its people.

Nothing here names a real district. The area codes follow the statistics layout (6-digit county,
3-digit town, 3-digit village) under the unused prefix 3799; town-level codes 001-099 are
sub-districts and 100-199 towns, village-level codes 001-199 are communities and 200-399 villages,
as in the statistics bureau's scheme.
"""

DISTRICT_NAME = "美家示范区"
DISTRICT_CODE = "379999"  # 6 digits; the area code is this followed by "000000"

# The shared password of the demo staff logins, printed by seed_demo; never used outside a demo.
DEMO_PASSWORD = "meijia2026"  # noqa: S105
VILLAGER_PHONE = "13800000001"

# (name, kind, town-level code, villages). A village is (name, kind, clan surnames): villages named
# after a family (王家庄) are mostly that family; the others get their clans from the common list.
# Kinds: "town" / "subdistrict" for the second level, "village" / "community" for the third.
TOWNS: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "青禾镇",
        "town",
        "101",
        [
            ("杏花村", "village", "杜"),
            ("王家庄村", "village", "王"),
            ("柳树湾村", "village", "柳"),
            ("东河村", "village", "董"),
            ("北坡村", "village", "邢"),
            ("石碾村", "village", "石"),
            ("前屯村", "village", "田"),
            ("枣园村", "village", "袁"),
        ],
    ),
    (
        "柳泉镇",
        "town",
        "102",
        [
            ("李家峪村", "village", "李"),
            ("南洼村", "village", "宋"),
            ("上庄村", "village", "尚"),
            ("下庄村", "village", "许"),
            ("槐树底村", "village", "蒋"),
            ("张家坡村", "village", "张"),
            ("红土崖村", "village", "翟"),
        ],
    ),
    (
        "石桥镇",
        "town",
        "103",
        [
            ("石桥村", "village", "石"),
            ("马家店村", "village", "马"),
            ("西岭村", "village", "岳"),
            ("白杨村", "village", "白"),
            ("刘家河村", "village", "刘"),
            ("后沟村", "village", "侯"),
            ("高家洼村", "village", "高"),
        ],
    ),
    (
        "东湖街道",
        "subdistrict",
        "001",
        [
            ("东湖社区", "community", ""),
            ("湖滨社区", "community", ""),
            ("新华社区", "community", ""),
            ("孙家村", "village", "孙"),
            ("陈家庄村", "village", "陈"),
            ("周庄村", "village", "周"),
        ],
    ),
    (
        "明德街道",
        "subdistrict",
        "002",
        [
            ("明德社区", "community", ""),
            ("文昌社区", "community", ""),
            ("赵家村", "village", "赵"),
            ("坊子村", "village", "冯"),
            ("大柳村", "village", "柳"),
            ("韩家庄村", "village", "韩"),
        ],
    ),
    (
        "凤鸣街道",
        "subdistrict",
        "003",
        [
            ("凤鸣社区", "community", ""),
            ("凤凰社区", "community", ""),
            ("杨家村", "village", "杨"),
            ("黄家营村", "village", "黄"),
            ("何家庄村", "village", "何"),
            ("郭家村", "village", "郭"),
            ("北关村", "village", "关"),
        ],
    ),
    (
        "安和街道",
        "subdistrict",
        "004",
        [
            ("安和社区", "community", ""),
            ("康宁社区", "community", ""),
            ("林家村", "village", "林"),
            ("吴家店村", "village", "吴"),
            ("徐庄村", "village", "徐"),
            ("胡家洼村", "village", "胡"),
        ],
    ),
]

# Common surnames, most frequent first; weights fall off roughly as in national statistics.
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
    "钱汤尹黎易常武乔贺赖龚文"
)

# Given names by generation (born before 1960, 1960-1989, from 1990) and sex: a one-character name,
# or a first character and a second one. The pools are chosen so that most pairs read naturally.
GIVEN_NAMES: dict[tuple[str, str], dict[str, str]] = {
    ("old", "m"): {
        "single": "福贵荣山林忠义礼信春发金祥华成广正兴全德顺",
        "first": "建国德长振春秋树玉宝福文永金守庆学志",
        "second": "国庆福顺华生林山明贵仁发德才祥喜田堂",
    },
    ("old", "f"): {
        "single": "英兰珍芬梅花凤菊琴霞",
        "first": "秀桂玉凤淑翠素兰春冬金美",
        "second": "英兰珍芬梅花云芝荣琴娥香",
    },
    ("mid", "m"): {
        "single": "伟强军磊勇涛斌刚杰鹏辉波超明平峰东亮健",
        "first": "建志国海晓立永春卫振红学文俊宏新",
        "second": "华强军涛东新刚平雷宇明伟林峰波龙",
    },
    ("mid", "f"): {
        "single": "丽红霞燕娟芳静敏艳萍玲梅洁慧",
        "first": "丽红海晓春秀美文雪玉亚慧小彩",
        "second": "娟梅燕红华丽玲静梅洁楠敏芳霞",
    },
    ("young", "m"): {
        "single": "睿浩宇轩博鑫昊晨阳帅",
        "first": "浩子宇俊博梓一家皓明天思晨嘉志",
        "second": "然轩航杰文豪鸣墨宇远佑健阳睿泽",
    },
    ("young", "f"): {
        "single": "雪琪涵萱悦彤洁妍琳",
        "first": "欣梓诗雨子思佳梦一可语若紫静婉",
        "second": "怡涵桐萱琪瑶诺欣嫣曦妍清然彤雯",
    },
}

# Mobile prefixes of the big carriers; a generated number is one of these and 8 digits.
PHONE_PREFIXES = ("139", "138", "137", "136", "135", "150", "151", "158", "159", "187")

# The demo logins: (username, Chinese name, role label, role, where). ``where`` is "district",
# "town" (the town of village A) or "village" (village A, the first village of the first town).
# The role is None for the superuser.
STAFF_LOGINS: list[tuple[str, str, str, str | None, str]] = [
    ("admin", "孟凡星", "超级管理员", None, "district"),
    ("district", "赵文华", "区管理员", "district_admin", "district"),
    ("town", "钱立新", "镇（街道）管理员", "town_admin", "town"),
    ("committee", "孙丽娟", "村委会委员", "committee", "village"),
    ("committee2", "杜建军", "村委会委员（复核）", "committee", "village"),
    ("inspector", "周海涛", "督查员", "inspector", "district"),
    ("editor", "吴晓雯", "宣传干事", "editor", "district"),
    ("shop", "郑桂芳", "美家超市店主", "shopkeeper", "village"),
    ("contractor", "冯志强", "抽渣维修队员", "contractor", "town"),
]
VILLAGER_USERNAME = "villager"


# --- Demo points (seed_demo's last stage) ---------------------------------------------------------
# (code, category, kind, name, description for villagers, points, caps)
DEMO_RULES = [
    (
        "sorting-excellent",
        "sorting",
        "earn",
        "垃圾分类 优",
        "四类垃圾分得清、投得准，桶边干净。",
        3,
        {"cap_per_day": 3},
    ),
    (
        "sorting-good",
        "sorting",
        "earn",
        "垃圾分类 良",
        "基本分类正确，偶有混投。",
        2,
        {"cap_per_day": 3},
    ),
    (
        "sorting-pass",
        "sorting",
        "earn",
        "垃圾分类 合格",
        "能够分类投放。",
        1,
        {"cap_per_day": 3, "auto_approve_up_to": 1},
    ),
    (
        "sorting-fail",
        "sorting",
        "deduct",
        "垃圾分类 不合格",
        "未分类或乱扔垃圾，扣分。",
        2,
        {"cap_per_day": 2},
    ),
    (
        "courtyard-5",
        "courtyard",
        "earn",
        "美家美院 五星",
        "院落整洁、物品有序、有绿化、厕所干净、有家风家训。",
        30,
        {"cap_per_month": 30},
    ),
    (
        "commendation-good-daughter-in-law",
        "commendation",
        "earn",
        "评比表彰 好媳妇",
        "孝敬公婆、和睦邻里，经村委会提名、镇审核并公示无异议。",
        50,
        {"cap_per_year": 50},
    ),
    (
        "commendation-good-mother-in-law",
        "commendation",
        "earn",
        "评比表彰 好婆婆",
        "关爱儿媳、家庭和睦，经村委会提名、镇审核并公示无异议。",
        50,
        {"cap_per_year": 50},
    ),
    (
        "commendation-virtuous-youth",
        "commendation",
        "earn",
        "评比表彰 美德少年",
        "孝老爱亲、助人为乐的少年，经提名、审核并公示无异议。",
        30,
        {"cap_per_year": 30},
    ),
    (
        "commendation-moral-model",
        "commendation",
        "earn",
        "评比表彰 道德模范",
        "事迹突出、群众公认，经提名、审核并公示无异议。",
        80,
        {"cap_per_year": 80},
    ),
    (
        "commendation-beautiful-home",
        "commendation",
        "earn",
        "评比表彰 美家美院",
        "年度美家美院示范户，经提名、审核并公示无异议。",
        30,
        {"cap_per_year": 30},
    ),
    (
        "class-attend",
        "class",
        "earn",
        "美她学堂 到课",
        "参加一次线下课堂。",
        5,
        {"cap_per_month": 20},
    ),
    (
        "class-online",
        "class",
        "earn",
        "美她学堂 线上学习",
        "在手机上学完一节线上课。",
        2,
        {"cap_per_month": 10},
    ),
]
DEMO_POINTS_HOUSEHOLDS = 40
DEMO_POINTS_PLAN = [
    ["sorting-excellent", "courtyard-5", "class-attend"],
    ["sorting-good", "class-attend"],
    ["sorting-pass", "courtyard-5"],
    ["sorting-excellent"],
    ["sorting-fail", "class-attend"],
]
