"""Registry HTTP API: persons, employers, regions. Thin: it translates, the service decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shebao.core.http import CipherDep, NowDep, PrincipalDep, SessionDep
from shebao.core.ids import MAX_BIGINT, EmployerIdPath, RecordIdPath
from shebao.registry import service
from shebao.registry.schemas import (
    EmployerChange,
    EmployerCreate,
    EmployerPage,
    EmployerRead,
    PersonChange,
    PersonCreate,
    PersonPage,
    PersonRead,
    PersonRegistered,
    PersonSearch,
    PersonVersionRead,
    RegionRead,
)
from shebao.services import registration  # the use case spans contexts (the linkage warns); an adapter may call down to it

router = APIRouter(prefix="/api/v1", tags=["registry"])


@router.post("/persons", response_model=PersonRegistered, status_code=201, summary="Register a person (参保人登记)",
             description="The answer's `warnings` name likely existing records of the same person under another number "
                         "(fuzzy linkage); the registration stands and the pair waits in the linkage review queue.")
def register_person(body: PersonCreate, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return registration.register_person(session=session, cipher=cipher, principal=who, command=body, now=now)


@router.get("/persons", response_model=PersonPage, summary="Search persons within your region")
def search_persons(session: SessionDep, who: PrincipalDep, now: NowDep,
                   name: Annotated[str | None, Query(max_length=50)] = None,
                   region_code: Annotated[str | None, Query(max_length=9)] = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0):
    return service.search_persons(session=session, principal=who, name=name, region_code=region_code,
                                  limit=limit, offset=offset, now=now)


@router.post("/persons/search", response_model=PersonRead, summary="Find a person by ID number within your region")
def find_person(body: PersonSearch, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return service.find_person_by_id_number(session=session, cipher=cipher, principal=who, id_number=body.id_number, now=now)


@router.get("/persons/{person_id}", response_model=PersonRead, summary="Read a person's record")
def read_person(person_id: RecordIdPath, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return service.get_person(session=session, cipher=cipher, principal=who, person_id=person_id, now=now)


@router.patch("/persons/{person_id}", response_model=PersonRead, summary="Change a person's information (effective-dated)")
def change_person(person_id: RecordIdPath, body: PersonChange, session: SessionDep, cipher: CipherDep, who: PrincipalDep,
                  now: NowDep):
    return service.change_person(session=session, cipher=cipher, principal=who, person_id=person_id, command=body, now=now)


@router.get("/persons/{person_id}/history", response_model=list[PersonVersionRead], summary="Every version of a person's information")
def person_history(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.person_history(session=session, principal=who, person_id=person_id, now=now)


@router.post("/employers", response_model=EmployerRead, status_code=201, summary="Register an employer (参保单位登记)")
def register_employer(body: EmployerCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.register_employer(session=session, principal=who, command=body, now=now)


@router.get("/employers", response_model=EmployerPage, summary="Search employers within your region")
def search_employers(session: SessionDep, who: PrincipalDep,
                     name: Annotated[str | None, Query(max_length=100)] = None,
                     region_code: Annotated[str | None, Query(max_length=9)] = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0):
    return service.search_employers(session=session, principal=who, name=name, region_code=region_code,
                                    limit=limit, offset=offset)


@router.patch("/employers/{employer_id}", response_model=EmployerRead, summary="Change an employer's name, industry or status")
def change_employer(employer_id: EmployerIdPath, body: EmployerChange, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.change_employer(session=session, principal=who, employer_id=employer_id, command=body, now=now)


@router.get("/employers/{employer_id}", response_model=EmployerRead, summary="Read an employer")
def read_employer(employer_id: EmployerIdPath, session: SessionDep, who: PrincipalDep):
    return service.get_employer(session=session, principal=who, employer_id=employer_id)


@router.get("/regions/{code}", response_model=RegionRead, summary="A region with its parent and children")
def read_region(code: str, session: SessionDep, include_historical: bool = False):
    return service.describe_region(session=session, code=code, include_historical=include_historical)
