"""The counter journey with a real camera stream: Chromium's fake camera plays a QR image that
the site drew on the villager's phone; the shopkeeper's page reads it with scanner.js."""

import io
import re

import pytest
from PIL import Image

from points.models import Account
from registry.services import codes
from shops.models import Redemption
from tests.e2e.conftest import _chromium_path
from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import make_household, make_tree
from tests.shops.factories import give_points, make_item, make_shopkeeper, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def y4m_from_png(png: bytes, *, width: int = 640, height: int = 480, frames: int = 10) -> bytes:
    """A YUV4MPEG2 (4:2:0) video of a still image, centred on white, with Pillow only."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    side = min(width, height) - 40
    picture.thumbnail((side, side), Image.Resampling.NEAREST)
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    luma, blue, red = canvas.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = (
        b"FRAME\n"
        + luma.tobytes()
        + blue.resize(half, Image.Resampling.BILINEAR).tobytes()
        + red.resize(half, Image.Resampling.BILINEAR).tobytes()
    )
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + frame * frames


def test_villager_shows_code_shopkeeper_scans_it_with_the_camera_and_both_see_the_receipt(
    browser, live_server, phone, screenshot, tmp_path
):
    tree = make_tree()
    village = tree["villages"][0]
    household = make_household(village, head_name="张建明", phone="13900000031")
    give_points(household, 100)
    store = make_store(village, name="幸福村美家超市")
    keeper = make_shopkeeper(store, name="刘店长")
    soap = make_item(store, name="肥皂", price=10, stock=20)

    # The villager opens their code on their phone.
    sign_in_villager(phone, "13900000031")
    phone.locator(f"a[href='/household/{household.pk}/code/']").click()
    qr = phone.locator("#household-code [data-role=qr] svg")
    qr.wait_for()
    digits = phone.locator("[data-role=digits]").get_attribute("data-digits")
    assert re.fullmatch(r"\d{8}", digits)
    screenshot(phone, "redeem-1-villager-code")
    video = tmp_path / "qr.y4m"
    video.write_bytes(y4m_from_png(qr.screenshot()))

    # The shopkeeper's phone: its camera sees that QR code.
    camera_browser = browser.browser_type.launch(
        executable_path=_chromium_path(),
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        counter = phone_page(camera_browser, live_server.url, permissions=["camera"])
        counter.context.set_default_timeout(20_000)
        sign_in_staff(counter, keeper.username)
        counter.goto(f"/shops/counter/{store.pk}/")
        screenshot(counter, "redeem-2-counter")
        counter.locator(".scanner-button").click()
        # scanner.js fills the input from the camera and submits: the preview appears.
        counter.wait_for_url(re.compile(r"/preview/"))
        preview = counter.locator("main").inner_text()
        assert "张*明家" in preview and "张建明" not in preview
        assert counter.locator("[data-role=balance]").inner_text() == "100"
        # Three soaps with the + stepper: the total and what is left follow on one line.
        soap_row = counter.locator(f"[data-item='{soap.pk}']")
        for _tap in range(3):
            soap_row.locator("[data-step='1']").click()
        assert counter.locator(f"#qty_{soap.pk}").input_value() == "3"
        assert counter.locator("[data-role=total]").inner_text() == "30"
        assert counter.locator("[data-role=left]").inner_text() == "70"
        soap_row.locator("[data-step='-1']").click()
        soap_row.locator("[data-step='1']").click()
        screenshot(counter, "redeem-3-basket")
        counter.locator("#basket button[type=submit]").click()
        counter.wait_for_url(re.compile(r"/shops/receipt/"))
        redemption = Redemption.objects.get()
        assert redemption.code_kind == "phone"
        receipt = counter.locator(".receipt").inner_text()
        assert redemption.receipt_number in receipt and "肥皂" in receipt
        assert counter.locator("[data-role=balance-after]").inner_text() == "70"
        screenshot(counter, "redeem-4-receipt")
        assert Account.objects.get(household=household).balance == 70

        # The villager's page notices the code was used and links to the same receipt.
        link = phone.locator("[data-role=receipt] a")
        link.wait_for(state="visible")
        link.click()
        phone.wait_for_url(re.compile(r"/shops/receipt/"))
        assert redemption.receipt_number in phone.locator(".receipt").inner_text()
        assert phone.locator("[data-role=next-customer]").count() == 0
        screenshot(phone, "redeem-5-villager-receipt")

        # 下一位: straight back to the scanner for the next villager. The camera still shows
        # the used code: refused at the preview, nothing spent.
        counter.get_by_role("link", name="下一位").click()
        counter.wait_for_url(re.compile(rf"/shops/counter/{store.pk}/$"))
        assert counter.locator("[data-role=day-count]").inner_text() == "1"
        counter.locator(".scanner-button").click()
        counter.wait_for_url(re.compile(rf"/shops/counter/{store.pk}/$"))
        counter.locator(".messages .refusal.used").wait_for()
        screenshot(counter, "redeem-6-next-scan-refused")
        assert Redemption.objects.count() == 1
        assert Account.objects.get(household=household).balance == 70
        with pytest.raises(codes.CodeRefused):
            codes.code_read(digits)
        counter.context.close()
    finally:
        camera_browser.close()
