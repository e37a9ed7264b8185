"""美她学堂: sign-up with seats and a waiting list, cancellation, check-in by code, lessons."""

import pytest
from django.urls import reverse

from campaigns import services
from campaigns.exceptions import ClassError
from campaigns.models import LessonPage, SessionSignup
from points.models import Account, PointsClaim
from registry.services import codes
from tests.campaigns.factories import add_class
from tests.factories import UserFactory, make_household

pytestmark = pytest.mark.django_db
Status = SessionSignup.Status


def _balance(household) -> int:
    account = Account.objects.filter(household=household).first()
    return account.balance if account else 0


def test_seats_then_waiting_list_then_promotion_on_cancel(site, tree, people):
    page, session = add_class(site["village"], capacity=2)
    village = tree["villages"][0]
    houses = [make_household(village, head_name=f"张{n}") for n in range(4)]
    user = people["villager"]
    signups = [services.session_sign_up(session=session, household=h, actor=user) for h in houses]
    assert [s.status for s in signups] == [Status.CONFIRMED, Status.CONFIRMED] + [
        Status.WAITING
    ] * 2
    again = services.session_sign_up(session=session, household=houses[0], actor=user)
    assert again.pk == signups[0].pk
    services.session_cancel(signup=signups[1], actor=user)
    signups[2].refresh_from_db()
    signups[3].refresh_from_db()
    assert signups[2].status == Status.CONFIRMED
    assert signups[3].status == Status.WAITING
    assert SessionSignup.objects.filter(session=session, status=Status.CONFIRMED).count() == 2
    # A cancelled household may sign up again: to the back of the queue.
    back = services.session_sign_up(session=session, household=houses[1], actor=user)
    assert back.status == Status.WAITING


def test_villager_signs_up_from_the_phone_and_cancels(client, site, people):
    page, session = add_class(site["village"], capacity=1)
    client.force_login(people["villager"])
    response = client.post(reverse("campaigns:session_sign_up", args=[session.pk]), follow=True)
    assert response.status_code == 200
    signup = SessionSignup.objects.get(session=session, household=people["house"])
    assert signup.status == Status.CONFIRMED
    home = client.get("/").content.decode()
    assert page.title in home
    client.post(reverse("campaigns:signup_cancel", args=[signup.pk]))
    signup.refresh_from_db()
    assert signup.status == Status.CANCELLED


def test_check_in_by_typed_code_awards_attendance_once(
    site, people, class_rules, django_capture_on_commit_callbacks
):
    page, session = add_class(site["village"])
    house = people["house"]
    services.session_sign_up(session=session, household=house, actor=people["villager"])
    issued = codes.phone_code_issue(house)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_check_in(session=session, code=issued.digits, actor=people["organiser"])
    assert _balance(house) == 5
    claim = PointsClaim.objects.get(household=house)
    assert claim.status == PointsClaim.Status.AUTO_APPROVED
    assert claim.idempotency_key == f"class-session:{session.pk}:{house.pk}"
    again = codes.phone_code_issue(house)
    with pytest.raises(ClassError) as refused, django_capture_on_commit_callbacks(execute=True):
        services.session_check_in(session=session, code=again.token, actor=people["organiser"])
    assert refused.value.code == "already_checked_in"
    assert _balance(house) == 5
    assert PointsClaim.objects.filter(household=house).count() == 1


def test_check_in_refuses_strangers_and_non_organisers(site, tree, people, class_rules):
    page, session = add_class(site["village"])
    stranger = make_household(tree["villages"][0], head_name="路人甲")
    issued = codes.phone_code_issue(stranger)
    with pytest.raises(ClassError) as refused:
        services.session_check_in(session=session, code=issued.digits, actor=people["organiser"])
    assert refused.value.code == "not_signed_up"
    outsider = UserFactory()
    with pytest.raises(ClassError) as refused:
        services.session_check_in(session=session, code=issued.digits, actor=outsider)
    assert refused.value.code == "not_organiser"


def test_organiser_page_checks_in_with_a_scanned_token(client, site, people, class_rules):
    page, session = add_class(site["village"])
    house = people["house"]
    services.session_sign_up(session=session, household=house, actor=people["villager"])
    client.force_login(people["organiser"])
    url = reverse("campaigns:session_check_in", args=[session.pk])
    html = client.get(url).content.decode()
    assert 'name="code"' in html and "data-scanner" in html
    token = codes.card_token(house)
    response = client.post(url, {"code": token}, follow=True)
    assert response.status_code == 200
    assert SessionSignup.objects.get(session=session, household=house).checked_in_at is not None
    client.force_login(people["villager"])
    assert client.get(url).status_code == 403


def test_finishing_a_lesson_awards_once(
    client, site, people, class_rules, django_capture_on_commit_callbacks
):
    lesson = site["village"].add_child(instance=LessonPage(title="垃圾分类四分法", kind="text"))
    client.force_login(people["villager"])
    url = reverse("campaigns:lesson_complete", args=[lesson.pk])
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url)
    assert _balance(people["house"]) == 2
    assert PointsClaim.objects.filter(household=people["house"]).count() == 1
    # The finished lesson says so, with what it earned, and no longer offers "我学完了".
    page = client.get(lesson.url).content.decode()
    assert 'data-role="lesson-done"' in page and "2 分" in page
    assert url not in page


def test_no_points_where_no_class_rule_holds(site, people, django_capture_on_commit_callbacks):
    lesson = site["village"].add_child(instance=LessonPage(title="厕所革命", kind="text"))
    with django_capture_on_commit_callbacks(execute=True):
        services.lesson_complete(lesson=lesson, household=people["house"], actor=people["villager"])
    assert _balance(people["house"]) == 0


def test_organisers_find_their_sessions_from_the_work_desk(client, site, people):
    page, session = add_class(site["village"], title="美她学堂：收纳课")
    client.force_login(people["organiser"])
    desk = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("campaigns:sessions") in desk
    listing = client.get(reverse("campaigns:sessions")).content.decode()
    assert "美她学堂：收纳课" in listing
    assert reverse("campaigns:session_check_in", args=[session.pk]) in listing
