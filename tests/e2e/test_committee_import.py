import re
from pathlib import Path

import openpyxl
import pytest

from registry.models import Household
from tests.e2e.helpers import sign_in_staff
from tests.factories import Role, make_household, make_staff, make_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["户号", "村民小组", "地址", "姓名", "与户主关系", "手机号", "身份证号", "出生日期"]


def _register_file(folder: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    people = [
        ("0101", "第1组", "杏林路1号", "郑建华", "户主", "13900000101", "", "1962-04-01"),
        ("0101", "第1组", "", "郑小雨", "女儿", "", "", "1995-07-12"),
        ("0102", "第2组", "杏林路2号", "冯玉兰", "户主", "１３９００００0102", "", ""),
        ("0103", "第1组", "杏林路3号", "韩德胜", "户主", "", "", "1958/3/2"),
        ("0103", "第1组", "", "韩秋菊", "配偶", "", "", ""),
    ]
    for person in people:
        sheet.append(list(person))
    path = folder / "杏林村台账.xlsx"
    book.save(path)
    return path


def test_committee_member_imports_a_register_file_and_watches_it_finish(
    phone, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    village = tree["villages"][0]
    make_household(village, head_name="老住户", number="0001")
    committee = make_staff(Role.COMMITTEE, village)

    sign_in_staff(phone, committee.username)

    phone.goto("/admin/register/import/")
    upload_form = phone.locator("form[enctype='multipart/form-data']")
    upload_form.locator("select[name=village]").select_option(str(village.pk))
    upload_form.locator("input[type=file]").set_input_files(str(_register_file(tmp_path)))
    screenshot(phone, "committee-1-upload")
    upload_form.locator("button[type=submit]").click()

    phone.wait_for_url(re.compile(r"/admin/register/import/\d+/$"))
    phone.get_by_text("检查没有发现错误").wait_for()
    screenshot(phone, "committee-2-checked")
    assert Household.objects.filter(village=village).count() == 1  # the dry run wrote nothing

    phone.get_by_role("button", name="确认导入").click()
    phone.get_by_role("heading", name="已导入").wait_for(timeout=60_000)
    screenshot(phone, "committee-3-imported")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 400
    assert Household.objects.filter(village=village).count() == 4
    assert (
        Household.objects.get(village=village, number="0102").members.get().phone == "13900000102"
    )
