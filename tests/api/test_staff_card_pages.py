"""The card pages of the staff console (web/staff_card_pages.py), on SQLite and PostgreSQL: the batches of the clerk's
region with their counts, a batch sent to the factory and its return file recorded (all rows or none, the refused
rows listed), a card handed out at the counter by the ID number typed in the form (identity checked, once), the
region's blacklist with a listing and a release; another county's batch the same 404 page as no batch, another
county's person refused like a stranger; auditors read without forms and are refused when they post; forms without
their CSRF token refused; a form sent twice done once."""

import random

import pytest
from sqlalchemy import select
from stdnum import luhn

from shebao.cards import batch as production
from shebao.cards import service as cards
from shebao.cards.models import BlacklistEntry, Card, ProductionBatch
from shebao.cards.schemas import CardApply
from shebao.core.security import SYSTEM, Role
from shebao.demo.seed import demo_credit_code
from shebao.registry.schemas import EmployerCreate, PersonCreate
from shebao.registry.service import register_employer, register_person
from shebao.services.permissions import PAGES
from shebao.web import staff_card_pages
from shebao.web.kit import CSRF_COOKIE
from tests.api.test_staff_case_pages import _as, _count, _once, _post
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    HAIDIAN,
    HAIDIAN_STREET,
    add_test_streets,
    csrf_form,
    id_number,
    make_user,
)

REFUSED = 'data-message="csrf_refused"'
ME, OTHER, FAR = id_number(), id_number(sequence=31), id_number(HAIDIAN, sequence=45)


def _register(session, clock, number: str, name: str, hukou: str, street: str) -> int:
    return register_person(session=session, cipher=_cipher(), principal=SYSTEM, now=clock.now(), command=PersonCreate(
        id_number=number, name=name, hukou_region_code=hukou, residence_region_code=street)).id


def _cipher():
    from shebao.core.security import FieldCipher
    from tests.conftest import TEST_SECRET

    return FieldCipher(TEST_SECRET)


def _return_file(manifest: str, province: str = "11", start: int = 200) -> str:
    rows = ["card_id,card_number,chip_serial,bank_code,bank_account"]
    for i, line in enumerate(manifest.splitlines()[1:]):
        number, account = f"{province}{start + i:08d}", f"62220212345{start + i:05d}"
        rows.append(f"{line.split(',')[0]},{number}{luhn.calc_check_digit(number)},C0FFEE{i:02d},ICBC,"
                    f"{account}{luhn.calc_check_digit(account)}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def world(client, database, clock):
    """Two people of 朝阳 with applications waiting, one of 海淀 whose card is made in a 海淀 batch and waits; clerks of
    朝阳 and 海淀, an auditor; an employer of 朝阳."""
    add_test_streets(database, clock)
    for name, region in (("clerk", CHAOYANG), ("haidian", HAIDIAN)):
        make_user(database, clock, name, Role.STAFF, region_code=region)
    make_user(database, clock, "auditor", Role.AUDITOR)
    with database.transaction() as session:
        people = {"me": _register(session, clock, ME, "张伟", CHAOYANG, CHAOYANG_STREET),
                  "other": _register(session, clock, OTHER, "王芳", CHAOYANG, CHAOYANG_STREET),
                  "far": _register(session, clock, FAR, "李娜", HAIDIAN, HAIDIAN_STREET)}
        for key, street in (("me", CHAOYANG_STREET), ("other", CHAOYANG_STREET), ("far", HAIDIAN_STREET)):
            cards.apply_for_card(session=session, principal=SYSTEM, now=clock.now(),
                                 command=CardApply(person_id=people[key], region_code=street))
        far, manifest = production.submit_batch(session=session, principal=SYSTEM, region_code=HAIDIAN, now=clock.now())
        production.record_factory_return(session=session, cipher=_cipher(), principal=SYSTEM, batch_id=far.id,
                                         csv_text=_return_file(manifest, start=900), now=clock.now())
        uscc = demo_credit_code(CHAOYANG, random.Random(5))
        firm = register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=uscc, name="朝阳商贸有限公司", region_code=CHAOYANG, industry_code="F51"))
    yield {"far_batch": far.id, "people": people, "uscc": uscc, "firm": firm.id}
    client.cookies.clear()


def _state(database, person_id: int) -> str:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(Card.state).where(Card.person_id == person_id))


def _batch_of(database, region: str) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(ProductionBatch.id).where(ProductionBatch.region_code == region))


def _made(client, database) -> int:
    """The clerk sends 朝阳's waiting applications and records the factory's return through the pages."""
    sent = _post(client, "/staff/cards", "/staff/cards/submit")
    assert sent.status_code == 303 and sent.headers["location"] == "/staff/cards"
    batch = _batch_of(database, CHAOYANG)
    manifest = client.get(f"/staff/cards/{batch}/manifest.csv")
    assert manifest.status_code == 200 and manifest.text.startswith("card_id,id_number_masked,name,deliver_to")
    url = f"/staff/cards/{batch}"
    done = _post(client, url, f"{url}/return", files={"file": ("return.csv", _return_file(manifest.text).encode())})
    assert done.status_code == 303 and done.headers["location"] == url
    return batch


def test_a_batch_is_sent_and_returned_and_its_cards_wait_to_be_collected(client, database, world):
    _as(client, "clerk")
    listed = client.get("/staff/cards")
    assert listed.status_code == 200 and f'data-region="{CHAOYANG}"' in listed.text
    assert 'data-waiting="2"' in listed.text and f'data-batch="{world["far_batch"]}"' not in listed.text
    assert 'data-empty' in listed.text and 'href="/staff/cards"' in listed.text and 'href="/staff/blacklist"' in listed.text
    sent = _post(client, "/staff/cards", "/staff/cards/submit")
    assert sent.status_code == 303
    batch = _batch_of(database, CHAOYANG)
    url = f"/staff/cards/{batch}"
    shown = client.get(url)
    assert shown.status_code == 200 and 'data-status="at_factory"' in shown.text and f'action="{url}/return"' in shown.text
    manifest = client.get(f"{url}/manifest.csv").text
    good = _return_file(manifest)
    bad = good.replace("C0FFEE01", "xyz")
    refused = _post(client, url, f"{url}/return", files={"file": ("return.csv", bad.encode())})
    assert refused.status_code == 422 and 'data-refused="return"' in refused.text and "未写入任何数据" in refused.text
    assert "data-rejected" in refused.text and "芯片序列号" in refused.text
    for content in (b"", "卡号".encode("gbk"), b"a,b\n1,2\n"):
        again = _post(client, url, f"{url}/return", files={"file": ("return.csv", content)})
        assert again.status_code == 422 and 'data-refused="return"' in again.text, content
    assert 'data-status="at_factory"' in client.get(url).text
    once = _once(client.get(url).text, f"{url}/return")
    fields = csrf_form(client, {"once": once})
    done = client.post(f"{url}/return", data=fields, files={"file": ("r.csv", good.encode())}, follow_redirects=False)
    assert done.status_code == 303
    twice = client.post(f"{url}/return", data=fields, files={"file": ("r.csv", good.encode())}, follow_redirects=False)
    assert twice.status_code == 409 and 'data-message="already_done"' in twice.text
    returned = client.get(url)
    assert 'data-status="handing_out"' in returned.text and 'data-count="not_collected">2<' in returned.text
    assert "张*" in returned.text and "张伟" not in returned.text and f'action="{url}/return"' not in returned.text
    listed = client.get("/staff/cards")
    assert f'data-batch="{batch}"' in listed.text and 'data-waiting="0"' in listed.text
    assert 'action="/staff/cards/submit"' not in listed.text
    nothing = client.post("/staff/cards/submit", data=csrf_form(client, {"once": once}), follow_redirects=False)
    assert nothing.status_code == 409  # a spent token: the form was already done


def test_nothing_waiting_is_said_next_to_the_form(client, database, world):
    _as(client, "clerk")
    _made(client, database)
    assert 'action="/staff/cards/submit"' not in client.get("/staff/cards").text
    once = _once(client.get("/staff/blacklist").text, "/staff/blacklist/add")  # any fresh one-time token
    refused = client.post("/staff/cards/submit", data=csrf_form(client, {"once": once}), follow_redirects=False)
    assert refused.status_code == 404 and 'data-refused="submit"' in refused.text and "没有待制卡的申请" in refused.text


def test_another_countys_batch_is_the_same_404_as_no_batch(client, database, world):
    _as(client, "clerk")
    far = world["far_batch"]
    for url in (f"/staff/cards/{far}", "/staff/cards/999999", "/staff/cards/x1", f"/staff/cards/{far}/manifest.csv",
                "/staff/cards/99999999999999999999"):
        answer = client.get(url)
        assert answer.status_code == 404 and 'data-message="cards_not_found"' in answer.text, url
    once = _once(client.get("/staff/cards").text, "/staff/cards/submit")
    posted = client.post(f"/staff/cards/{far}/return", data=csrf_form(client, {"once": once}),
                         files={"file": ("r.csv", b"card_id\n")}, follow_redirects=False)
    assert posted.status_code == 404 and 'data-message="cards_not_found"' in posted.text
    _as(client, "haidian")
    assert client.get(f"/staff/cards/{far}").status_code == 200


def test_a_card_is_handed_out_at_the_counter_by_id_number_once(client, database, world):
    _as(client, "clerk")
    _made(client, database)
    form = client.get("/staff/cards/hand-out")
    assert form.status_code == 200 and 'action="/staff/cards/hand-out/find"' in form.text
    for bad, words in (("", "身份证"), ("12345", "身份证"), (FAR, "没有找到"), ("x" * 60, ""), ("1" * 500, "")):
        refused = client.post("/staff/cards/hand-out/find", data=csrf_form(client, {"id_number": bad}),
                              follow_redirects=False)
        assert refused.status_code in (404, 422) and 'data-refused="find"' in refused.text, bad
        assert words in refused.text, (bad, refused.text[-2000:])
    found = client.post("/staff/cards/hand-out/find", data=csrf_form(client, {"id_number": ME.lower()}))
    assert found.status_code == 200 and "张*" in found.text and "张伟" not in found.text
    assert ME not in found.text.replace(f'name="id_number" value="{ME.lower()}"', "")  # only in the hidden field
    once = _once(found.text, "/staff/cards/hand-out/done")
    unchecked = client.post("/staff/cards/hand-out/done", data=csrf_form(client, {"once": once, "id_number": ME}))
    assert unchecked.status_code == 422 and 'data-refused="hand_out"' in unchecked.text and "核验" in unchecked.text
    assert _state(database, world["people"]["me"]) == "in_production"
    once = _once(unchecked.text, "/staff/cards/hand-out/done")
    fields = csrf_form(client, {"once": once, "id_number": ME, "identity_checked": "yes"})
    handed = client.post("/staff/cards/hand-out/done", data=fields)
    assert handed.status_code == 200 and "data-handed" in handed.text and "张*" in handed.text
    assert _state(database, world["people"]["me"]) == "issued"
    twice = client.post("/staff/cards/hand-out/done", data=fields)
    assert twice.status_code == 409 and 'data-message="already_done"' in twice.text
    gone = client.post("/staff/cards/hand-out/find", data=csrf_form(client, {"id_number": ME}))
    assert gone.status_code == 409 and "已发放" in gone.text
    english = client.post("/staff/cards/hand-out/find?lang=en", data=csrf_form(client, {"id_number": ME}))
    assert "none is waiting" in english.text
    batch = client.get(f"/staff/cards/{_batch_of(database, CHAOYANG)}").text
    assert 'data-count="handed_out">1<' in batch and 'data-count="not_collected">1<' in batch
    waiting = client.post("/staff/cards/hand-out/find", data=csrf_form(client, {"id_number": FAR}))
    assert waiting.status_code == 404  # 海淀's card, waiting in its batch, is not the 朝阳 clerk's to hand out


def test_a_card_still_at_the_factory_is_not_handed_out(client, database, world):
    _as(client, "clerk")
    _post(client, "/staff/cards", "/staff/cards/submit")
    early = client.post("/staff/cards/hand-out/find", data=csrf_form(client, {"id_number": OTHER}))
    assert early.status_code == 409 and "尚在制作中" in early.text


def test_the_blacklist_lists_and_releases_within_the_region(client, database, world):
    _as(client, "clerk")
    page = client.get("/staff/blacklist")
    assert page.status_code == 200 and "data-empty" in page.text and 'action="/staff/blacklist/add"' in page.text
    add = "/staff/blacklist/add"
    for fields, words in (({"subject_kind": "person", "identifier": ME, "ground": "rude", "reason": "拒不参保登记"}, "列入原因"),
                          ({"subject_kind": "person", "identifier": ME, "ground": "refused_to_insure", "reason": "短"}, "原因"),
                          ({"subject_kind": "person", "identifier": FAR, "ground": "refused_to_insure", "reason": "拒不参保登记"}, "没有找到"),
                          ({"subject_kind": "robot", "identifier": ME, "ground": "refused_to_insure", "reason": "拒不参保登记"}, "人员或单位"),
                          ({"subject_kind": "employer", "identifier": "123", "ground": "malicious_arrears", "reason": "恶意欠费三个月"}, "")):
        refused = _post(client, "/staff/blacklist", add, fields)
        assert 400 <= refused.status_code < 500 and 'data-refused="add"' in refused.text, fields
        assert words in refused.text
    assert _count(database, BlacklistEntry) == 0
    person = _post(client, "/staff/blacklist", add, {"subject_kind": "person", "identifier": ME,
                                                     "ground": "refused_to_insure", "reason": "拒不参保登记"})
    assert person.status_code == 303
    firm = _post(client, "/staff/blacklist", add, {"subject_kind": "employer", "identifier": world["uscc"],
                                                   "ground": "malicious_arrears", "reason": "恶意欠费三个月"})
    assert firm.status_code == 303
    again = _post(client, "/staff/blacklist", add, {"subject_kind": "person", "identifier": ME,
                                                    "ground": "refused_to_insure", "reason": "拒不参保登记"})
    assert again.status_code == 409 and "已在黑名单中" in again.text
    listed = client.get("/staff/blacklist")
    assert listed.text.count("data-entry=") == 2 and "张*" in listed.text and "朝阳商贸有限公司" in listed.text
    assert "拒不参保" in listed.text and "2025-03-01" in listed.text
    with database.unit_of_work() as uow:
        entry = uow.session.scalar(select(BlacklistEntry.id).where(BlacklistEntry.subject_kind == "person"))
    _as(client, "haidian")
    assert "data-empty" in client.get("/staff/blacklist").text
    once = _once(client.get("/staff/blacklist").text, add)
    outside = client.post("/staff/blacklist/release", data=csrf_form(client, {"once": once, "entry_id": str(entry),
                                                                              "reason": "已补缴参保"}), follow_redirects=False)
    assert outside.status_code == 404 and 'data-message="cards_not_found"' in outside.text
    _as(client, "clerk")
    short = _post(client, "/staff/blacklist", "/staff/blacklist/release", {"entry_id": str(entry), "reason": "补"})
    assert short.status_code == 422 and f'id="release_{entry}_error"' in short.text
    for bad in ("abc", "", "9" * 30):
        answer = _post(client, "/staff/blacklist", "/staff/blacklist/release", {"entry_id": bad, "reason": "已补缴参保"})
        assert answer.status_code == 404, bad
    released = _post(client, "/staff/blacklist", "/staff/blacklist/release", {"entry_id": str(entry), "reason": "已补缴参保"})
    assert released.status_code == 303
    assert client.get("/staff/blacklist").text.count("data-entry=") == 1
    history = client.get("/staff/blacklist?released=1").text
    assert f'data-entry="{entry}"' in history and "已补缴参保" in history
    assert "Blacklist" in client.get("/staff/blacklist?lang=en").text


def test_auditors_read_without_forms_and_are_refused_when_they_post(client, database, world):
    _as(client, "clerk")
    batch = _made(client, database)
    _post(client, "/staff/blacklist", "/staff/blacklist/add", {"subject_kind": "person", "identifier": OTHER,
                                                               "ground": "refused_to_insure", "reason": "拒不参保登记"})
    _as(client, "auditor")
    for url in ("/staff/cards", f"/staff/cards/{batch}", "/staff/cards/hand-out", "/staff/blacklist"):
        shown = client.get(url)
        assert shown.status_code == 200 and 'method="post"' not in shown.text.split("<main", 1)[1].split("</main>")[0] \
            .replace('action="/logout"', ""), url
    assert "data-read-only" in client.get("/staff/cards/hand-out").text
    assert "张*" in client.get(f"/staff/cards/{batch}").text
    assert "王*" in client.get("/staff/blacklist").text
    with database.unit_of_work() as uow:
        entry = uow.session.scalar(select(BlacklistEntry.id))
    for action, fields in (("/staff/cards/submit", {}), (f"/staff/cards/{batch}/return", {}),
                           ("/staff/cards/hand-out/find", {"id_number": ME}),
                           ("/staff/cards/hand-out/done", {"id_number": ME, "identity_checked": "yes"}),
                           ("/staff/blacklist/add", {"subject_kind": "person", "identifier": ME,
                                                     "ground": "refused_to_insure", "reason": "拒不参保登记"}),
                           ("/staff/blacklist/release", {"entry_id": str(entry), "reason": "已补缴参保"})):
        refused = client.post(action, data=csrf_form(client, {"once": "x" * 32} | fields), follow_redirects=False)
        assert refused.status_code == 403, action
    assert client.get(f"/staff/cards/{batch}/manifest.csv").status_code == 404  # the manifest is the clerks'
    assert _state(database, world["people"]["me"]) == "in_production"
    assert _count(database, BlacklistEntry) == 1


def test_forms_without_their_csrf_token_are_refused(client, world):
    _as(client, "clerk")
    posts = sorted({route.path for route in staff_card_pages.router.routes if "POST" in route.methods})
    for path in posts:
        url = path.replace("{batch_id}", str(world["far_batch"]))
        for fields in ({"once": "x" * 32}, {"once": "x" * 32, "csrf": "y" * 43}):
            refused = client.post(url, data=fields, follow_redirects=False)
            assert refused.status_code == 403 and REFUSED in refused.text, url
    assert client.cookies.get(CSRF_COOKIE)


def test_every_page_is_in_the_permission_table_and_sends_strangers_to_log_in(client, world):
    for route in staff_card_pages.router.routes:
        for method in route.methods:
            assert f"{method} {route.path}" in PAGES, route.path
    for url in ("/staff/cards", "/staff/cards/hand-out", "/staff/blacklist", f"/staff/cards/{world['far_batch']}"):
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", url
