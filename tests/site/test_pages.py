import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_home_speaks_chinese_by_default(client):
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans"' in page
    assert "用手机号登录" in page


def test_english_is_switchable(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en"' in page
    assert "Sign in with my phone" in page


def test_large_text_switch_persists_in_a_cookie(client):
    response = client.post(reverse("text_size"), {"size": "large", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert response.cookies["mj_text"]["max-age"] > 60 * 60 * 24 * 365
    assert 'class="large-text"' in client.get("/").content.decode()
    client.post(reverse("text_size"), {"size": "normal"})
    assert 'class="large-text"' not in client.get("/").content.decode()


def test_large_text_switch_refuses_to_redirect_elsewhere(client):
    response = client.post(reverse("text_size"), {"size": "large", "next": "https://evil.example/"})
    assert response.url == "/"


def test_pages_fit_a_phone_and_load_nothing_from_another_host(client):
    page = client.get("/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert not re.search(r'(src|href)=["\']https?://', page)


def test_no_template_or_stylesheet_names_another_host():
    offenders = []
    for folder in ("site", "registry", "points", "shops", "campaigns"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".html", ".css", ".js"} or "vendor" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r'(src|href)=["\']https?://|@import\s+url\(["\']?https?://', text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


CATALOGUES = sorted(
    path.parent.relative_to(ROOT).as_posix()
    for path in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")
)


@pytest.mark.parametrize("where", CATALOGUES)
def test_chinese_catalogue_is_complete_and_compiled(where):
    """Every app's catalogue (site/, and apps with their own locale/) is translated and compiled."""
    import gettext

    assert "site/locale/zh_Hans/LC_MESSAGES" in CATALOGUES
    folder = ROOT / where
    text = (folder / "django.po").read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1]
    assert "#, fuzzy" not in body
    assert 'msgstr ""\n\n' not in body and not body.rstrip().endswith('msgstr ""')
    with (folder / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog
    singles = re.findall(r'^msgid "(.+)"\nmsgstr', text, flags=re.MULTILINE)
    stale = [msgid for msgid in singles if msgid.replace('\\"', '"') not in catalogue]
    assert stale == [], "run `make messages`: the .mo is older than the .po"
