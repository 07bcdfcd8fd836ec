"""The demo's movers: people with careers in several provinces, their transfers in every state the staff meet (done,
waiting on the old province, overdue, refused with its reason), a temporary account and a place of benefit by rule 4;
added once, and the ledger still balances."""

from datetime import date

from sqlalchemy import func, select

from shebao.core.periods import Period
from shebao.core.security import SYSTEM
from shebao.demo.movers import MOVERS
from shebao.demo.seed import seed_demo
from shebao.ledger import service as ledger
from shebao.registry.models import Person
from shebao.transfers import service
from tests.conftest import TEST_NOW

PROVINCE = "110000"


def test_the_demo_has_movers_in_every_state(database, cipher):
    for seed in (1, 2):  # a second seeding adds no mover twice
        with database.transaction() as session:
            seed_demo(session=session, cipher=cipher, province=PROVINCE, persons=40, now=TEST_NOW, random_seed=seed,
                      history_start=Period(2024, 10))
    with database.unit_of_work() as uow:
        session = uow.session
        people = {p.name: p for p in session.scalars(select(Person).where(Person.name.in_([m.name for m in MOVERS])))}
        assert len(people) == len(MOVERS)
        assert session.scalar(select(func.count()).select_from(Person).where(Person.name == MOVERS[0].name)) == 1
        moves = {name: service.history_of(session=session, person_id=p.id) for name, p in people.items()}
        states = {name: [(t["kind"], t["step"]) for t in history] for name, history in moves.items()}
        assert states == {"周建国": [("move", "completed")], "吴晓燕": [("move", "letter_sent")],
                          "郑海涛": [("move", "letter_sent")], "王德明": [("temporary", "completed")],
                          "陈丽": [("move", "refused")], "刘志强": []}
        assert moves["周建国"][0]["total_fen"] > 0 and moves["陈丽"][0]["refused_reason"].startswith("原参保地审核不通过")
        overdue = service.list_transfers(session=session, principal=SYSTEM, now=TEST_NOW, overdue=True)
        assert [t["person_id"] for t in overdue] == [people["郑海涛"].id]
        temporary = service.temporary_accounts_of(session=session, person_id=people["王德明"].id)
        assert [(t["province"], t["open"]) for t in temporary] == [(PROVINCE, True)]
        place = service.benefit_place_of(session=session, person=people["刘志强"], day=date(2025, 3, 1))
        assert (place.province, place.rule) == (PROVINCE, 4)
        assert ledger.unbalanced_entries(session=session) == [] and sum(ledger.trial_balance(session=session).values()) == 0
