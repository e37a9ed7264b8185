import pytest
from django.urls import reverse

from tests.factories import Role, make_staff

pytestmark = pytest.mark.django_db


def _tasks(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="meijia-tasks"' in html
    return html.split('class="meijia-tasks"', 1)[1].split("</section>", 1)[0]


def test_a_committee_member_opens_the_work_desk_on_their_daily_tasks(client, tree):
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    tasks = _tasks(client, committee)
    assert "垃圾分类检查" in tasks and "/scoring/sorting/" in tasks
    assert reverse("points_claims:queue") in tasks


def test_each_role_sees_only_its_own_tasks(client, tree):
    editor = make_staff(Role.EDITOR, tree["district"])
    tasks = _tasks(client, editor)
    assert "/scoring/sorting/" not in tasks
    assert reverse("points_claims:queue") not in tasks


def test_the_account_page_offers_only_time_zones_a_browser_knows():
    """Debian's zoneinfo lists "localtime", which the account page's script refused (a console
    error on every visit): the work desk offers the campaign's own zone."""
    from wagtail.admin.localization import get_available_admin_time_zones

    assert get_available_admin_time_zones() == ["Asia/Shanghai"]
