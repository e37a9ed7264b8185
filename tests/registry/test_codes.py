import datetime
import os
import shutil
import subprocess

import pytest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from registry.models import Household, HouseholdEvent, PhoneCode
from registry.qr import qr_png, qr_svg
from registry.services import codes
from registry.services.codes import CodeRefused
from tests.factories import make_household, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(tree):
    return make_household(tree["villages"][0])


def _refused(text, reason, **kwargs):
    with pytest.raises(CodeRefused) as caught:
        codes.code_read(text, **kwargs)
    assert caught.value.code == reason, caught.value.code
    return caught.value


def test_a_card_code_names_its_household_and_holds_no_personal_data(household):
    token = codes.card_token(household)
    scanned = codes.code_read(token)
    assert scanned.household == household and scanned.kind == "card"
    assert household.number not in token and "王" not in token
    assert token.isalnum() and token == token.upper()  # QR alphanumeric mode


def test_reporting_a_card_lost_refuses_the_old_card_at_once(household):
    old = codes.card_token(household)
    staff = make_staff("village", household.village)
    scanned_before = codes.code_read(old)
    assert codes.card_reissue(actor=staff, household=household) == 2
    _refused(old, "revoked")
    assert codes.code_read(codes.card_token(household)).household == household
    # A preview made before the loss cannot be spent after it.
    with pytest.raises(CodeRefused) as caught:
        codes.code_consume(scanned_before, purpose="test")
    assert caught.value.code == "revoked"
    assert HouseholdEvent.objects.filter(
        household=household, kind=HouseholdEvent.Kind.CARD_REISSUED, actor=staff
    ).exists()


def test_a_phone_code_is_used_once(household):
    issued = codes.phone_code_issue(household)
    assert len(issued.digits) == 8 and issued.digits.isdigit()
    scanned = codes.code_read(issued.token)
    assert scanned.household == household and scanned.kind == "phone"
    codes.code_consume(scanned, purpose="redemption")
    _refused(issued.token, "used")
    with pytest.raises(CodeRefused) as caught:
        codes.code_consume(scanned, purpose="redemption")
    assert caught.value.code == "used"


def test_the_typed_number_reads_like_the_qr(household):
    issued = codes.phone_code_issue(household)
    assert (
        codes.code_read(issued.digits).phone_code_id == codes.code_read(issued.token).phone_code_id
    )


def test_a_phone_code_expires_after_about_a_minute(household):
    start = timezone.now()
    issued = codes.phone_code_issue(household, now=start)
    assert codes.code_read(issued.token, now=start + datetime.timedelta(seconds=59))
    _refused(issued.token, "expired", now=start + datetime.timedelta(seconds=61))
    _refused(issued.digits, "unknown_number", now=start + datetime.timedelta(seconds=61))


def _at(start, seconds):
    return start + datetime.timedelta(seconds=seconds)


@pytest.mark.parametrize("typed", [False, True])
def test_a_code_never_previewed_is_spent_only_while_live(household, typed):
    start = timezone.now()
    issued = codes.phone_code_issue(household, now=start)
    text = issued.digits if typed else issued.token
    scanned = codes.code_read(text, now=_at(start, 50))
    # Read in time but never previewed: no grace, refused a moment after its minute.
    with pytest.raises(CodeRefused) as caught:
        codes.code_consume(scanned, purpose="t", now=_at(start, 61))
    assert caught.value.code == "expired"
    _refused(text, "unknown_number" if typed else "expired", now=_at(start, 120))
    assert PhoneCode.objects.get(pk=scanned.phone_code_id).used_at is None


@pytest.mark.parametrize("typed", [False, True])
def test_the_confirmation_grace_runs_from_that_codes_preview(household, typed):
    start = timezone.now()
    issued = codes.phone_code_issue(household, now=start)
    text = issued.digits if typed else issued.token
    scanned = codes.code_read(text, now=_at(start, 40))
    codes.code_preview_record(scanned, now=_at(start, 40))
    # A second preview does not extend the grace.
    codes.code_preview_record(codes.code_read(text, now=_at(start, 200)), now=_at(start, 200))
    assert PhoneCode.objects.get(pk=scanned.phone_code_id).previewed_at == _at(start, 40)
    grace = codes.PHONE_CODE_CONFIRM_WINDOW.total_seconds()
    # Within five minutes of the preview the code still reads and can be spent...
    assert codes.code_read(text, now=_at(start, 40 + grace)).household == household
    # ...not a second later.
    _refused(text, "unknown_number" if typed else "expired", now=_at(start, 41 + grace))
    with pytest.raises(CodeRefused) as caught:
        codes.code_consume(scanned, purpose="t", now=_at(start, 41 + grace))
    assert caught.value.code == "expired"
    codes.code_consume(scanned, purpose="t", now=_at(start, 39 + grace))
    _refused(issued.token, "used", now=_at(start, 60))


def test_a_preview_of_one_code_gives_no_grace_to_another(household):
    start = timezone.now()
    shown = codes.phone_code_issue(household, now=start)
    other = codes.phone_code_issue(household, now=start)
    codes.code_preview_record(codes.code_read(shown.token, now=_at(start, 10)), now=_at(start, 10))
    _refused(other.token, "expired", now=_at(start, 90))
    _refused(other.digits, "unknown_number", now=_at(start, 90))
    assert codes.code_read(shown.token, now=_at(start, 90)).household == household


def test_a_card_has_no_grace_to_record(household):
    scanned = codes.code_read(codes.card_token(household))
    codes.code_preview_record(scanned)
    codes.code_consume(scanned, purpose="t")


@pytest.mark.parametrize("kind", ["card", "phone"])
def test_every_single_character_changed_is_refused(household, kind):
    token = (
        codes.card_token(household) if kind == "card" else codes.phone_code_issue(household).token
    )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for index, char in enumerate(token):
        for replacement in {alphabet[(alphabet.find(char) + 1) % 32], char.lower(), "0"} - {char}:
            altered = token[:index] + replacement + token[index + 1 :]
            with pytest.raises(CodeRefused):
                codes.code_read(altered)
    for broken in ["", "MJC", token[:-1], token + "A", " " + token[:5], "https://example.com/"]:
        with pytest.raises(CodeRefused):
            codes.code_read(broken)


def test_a_code_signed_with_another_key_is_refused(household, settings):
    token = codes.card_token(household)
    settings.SECRET_KEY = "another-key-entirely-" + "x" * 40
    assert salted_hmac("a", "b").digest()  # the new key is in force
    _refused(token, "bad_signature")


def test_guessing_typed_numbers_is_limited(household):
    staff = make_staff("shopkeeper", household.village)
    issued = codes.phone_code_issue(household)
    wrong = f"{(int(issued.digits) + 1) % 10**8:08d}"
    for _ in range(codes.GUESS_LIMIT):
        _refused(wrong, "unknown_number", actor=staff)
    _refused(issued.digits, "too_many_attempts", actor=staff)
    # Another person is not blocked by someone else's guessing.
    other = make_staff("shopkeeper", household.village)
    assert codes.code_read(issued.digits, actor=other).household == household


def test_an_inactive_household_code_is_refused(household):
    token = codes.card_token(household)
    Household.objects.filter(pk=household.pk).update(status=Household.Status.CANCELLED)
    _refused(token, "inactive")


def test_old_phone_codes_are_purged(household):
    start = timezone.now() - datetime.timedelta(hours=2)
    codes.phone_code_issue(household, now=start)
    codes.phone_code_issue(household)
    assert codes.phone_codes_purge() == 1
    assert PhoneCode.objects.count() == 1


def test_qr_images_decode_with_an_independent_reader(household, tmp_path):
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        if os.environ.get("MEIJIA_STRICT_SKIPS") == "1":
            pytest.fail("zbarimg (Debian's zbar-tools) is needed in CI")
        pytest.skip("zbarimg is not installed")
    tokens = [codes.card_token(household), codes.phone_code_issue(household).token]
    for index, token in enumerate(tokens):
        path = tmp_path / f"{index}.png"
        path.write_bytes(qr_png(token))
        result = subprocess.run(  # noqa: S603 - a fixed program and our own file
            [zbarimg, "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == token
    assert qr_svg(tokens[0]).startswith("<svg")
