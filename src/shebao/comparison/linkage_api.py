"""The fuzzy linkage's HTTP API: its clerical review queue (一人多号). Thin: it translates, the service decides. (Its
parameters are keyword-only: this module is not named api.py, and the naming check reads a session taken
positionally as a use case's.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shebao.comparison import linkage
from shebao.comparison.linkage_schemas import LinkCandidatePage, LinkCandidateRead, LinkDecide
from shebao.core.http import NowDep, PrincipalDep, SessionDep
from shebao.core.ids import MAX_BIGINT, RecordIdPath

router = APIRouter(prefix="/api/v1/linkage", tags=["linkage"])


@router.get("/candidates", response_model=LinkCandidatePage,
            summary="Pairs that may be one person with several numbers, among the persons you handle (review queue)")
def review_queue(*, session: SessionDep, who: PrincipalDep, now: NowDep,
                 region_code: Annotated[str | None, Query(max_length=9)] = None,
                 status: Annotated[str, Query(max_length=10)] = "review",
                 limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0):
    return linkage.review_queue(session=session, principal=who, region_code=region_code, status=status, limit=limit,
                                offset=offset, now=now)


@router.get("/candidates/{candidate_id}", response_model=LinkCandidateRead, summary="One pair in full (audited view)")
def read_candidate(*, candidate_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep):
    return linkage.get_candidate(session=session, principal=who, candidate_id=candidate_id, now=now)


@router.post("/candidates/{candidate_id}/decision", response_model=LinkCandidateRead,
             summary="Confirm a pair as one person, or reject it, with the reason (never a pair about yourself)")
def decide(*, candidate_id: RecordIdPath, body: LinkDecide, session: SessionDep, who: PrincipalDep, now: NowDep):
    return linkage.decide(session=session, principal=who, candidate_id=candidate_id, command=body, now=now)
