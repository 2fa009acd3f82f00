"""Reviews are tied to what was reviewed, under real concurrency: requests fired at once at a
real ``slo-scout serve`` process, on SQLite and on PostgreSQL, each race repeated so that a lost
race cannot pass by luck.

Approve, reject and edit carry the version the caller saw: of two at once exactly one wins and
the other gets 409 with the current version. Renders racing for the same bundle version, and
creations racing for the same SLO name: one 201, the rest 409, never 500 (the database lock
the test holds makes every render of a round read the same latest version before any of them
writes).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import httpx
import psycopg
import pytest
from tests.api.conftest import ADMIN_KEY, seed
from tests.fixtures.control_plane import journey
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.review_server import Race, ServerProcess, at_once, serve

from slo_scout.db import migrate

ROUNDS = 10
JOURNEYS = 10 * ROUNDS  # every SLO a test creates on a journey of its own
RENDER_ROUNDS = 5  # each waits for the server to block on the held lock: slower
PROBLEM = "application/problem+json"
RENDERED = "catalog"


@dataclass
class Stage:
    server: ServerProcess
    database_url: str
    editor: dict[str, str]
    carol: dict[str, str]
    dave: dict[str, str]
    journey_ids: Iterator[int]  # a journey of its own per SLO: one live SLO per journey's SLI
    render_journey_id: int
    names: Iterator[int]

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: object
             ) -> httpx.Response:
        return httpx.request(method, self.server.base + path, headers=headers, timeout=60,
                             **kwargs)  # type: ignore[arg-type]

    def proposed_slo(self, prefix: str, service: str = "shop-frontend") -> dict[str, object]:
        journey_id = next(self.journey_ids) if service == "shop-frontend" else (
            self.render_journey_id)
        created = self.call("POST", "/slos", self.editor, json={
            "service": service, "environment": "prod", "journey_id": journey_id,
            "name": f"{prefix}-{next(self.names)}", "sli_kind": "availability",
            "objective": 99.0})
        assert created.status_code == 201, created.text
        return created.json()  # type: ignore[no-any-return]

    def history(self, slo_id: object) -> list[tuple[str, int]]:
        answer = self.call("GET", f"/slos/{slo_id}/history", self.editor)
        return [(h["action"], h["version"]) for h in answer.json()]


def _key(base: str, subject: str, role: str) -> dict[str, str]:
    issued = httpx.post(f"{base}/api-keys", headers={"X-API-Key": ADMIN_KEY}, json={
        "subject": subject, "name": subject, "team": "shop", "role": role})
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stage(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Stage]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('races') / 'slo-scout.db'}"
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres_server")
        url = postgres.create_database("races")
    migrate.upgrade(url)
    seed(url, journeys=[journey(f"j-{i}", operation=f"GET /r{i}") for i in range(JOURNEYS)])
    # renders get an environment of their own: one approved SLO per journey and kind
    seed(url, service=RENDERED, journeys=[journey("j-catalog", service=RENDERED,
                                                  operation="GET /catalog")])
    with serve(url, ADMIN_KEY) as server:
        editor = _key(server.base, "erin", "editor")
        carol, dave = _key(server.base, "carol", "approver"), _key(server.base, "dave", "approver")
        shop, [rendered] = ([j["id"] for j in httpx.get(
            f"{server.base}/journeys", headers=editor,
            params={"service": service, "limit": 500}).json()["items"]]
            for service in ("shop-frontend", RENDERED))
        yield Stage(server, url, editor, carol, dave, iter(shop), rendered, count())


@pytest.fixture(autouse=True)
def _no_traceback_in_the_servers_log(stage: Stage) -> Iterator[None]:
    yield
    assert "Traceback" not in stage.server.errors(), stage.server.errors()[-4000:]


def _review(slo: dict[str, object], verdict: str, version: object):  # type: ignore[no-untyped-def]
    def call(client: httpx.Client) -> httpx.Response:
        return client.post(f"/slos/{slo['id']}/{verdict}",
                           json={"comment": f"{verdict} at once", "version": version})
    return call


def _winner_and_losers(answers: list[httpx.Response], ok: int
                       ) -> tuple[httpx.Response, list[httpx.Response]]:
    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == sorted([ok] + [409] * (len(answers) - 1)), \
        [(a.status_code, a.text) for a in answers]
    [winner] = [a for a in answers if a.status_code == ok]
    losers = [a for a in answers if a.status_code == 409]
    for loser in losers:
        assert loser.headers["content-type"] == PROBLEM, loser.text
    return winner, losers


def test_of_two_approvals_at_once_exactly_one_wins_and_the_other_gets_409(stage: Stage) -> None:
    for _ in range(ROUNDS):
        slo = stage.proposed_slo("approve-approve")
        answers = at_once(stage.server.base, [(stage.carol, _review(slo, "approve", 1)),
                                              (stage.dave, _review(slo, "approve", 1))])
        winner, [loser] = _winner_and_losers(answers, 200)
        assert winner.json()["status"] == "approved"
        problem = loser.json()
        assert (problem["current_version"], problem["current_status"]) == (1, "approved")
        assert loser.headers["etag"] == '"1.approved"'
        assert stage.history(slo["id"]) == [("create", 1), ("approve", 1)]


def test_of_an_approval_and_a_rejection_at_once_exactly_one_wins(stage: Stage) -> None:
    verdicts = set()
    for _ in range(ROUNDS):
        slo = stage.proposed_slo("approve-reject")
        answers = at_once(stage.server.base, [(stage.carol, _review(slo, "approve", 1)),
                                              (stage.dave, _review(slo, "reject", 1))])
        winner, [loser] = _winner_and_losers(answers, 200)
        status = winner.json()["status"]
        verdicts.add(status)
        assert loser.json()["current_status"] == status
        action = "approve" if status == "approved" else "reject"
        assert stage.history(slo["id"]) == [("create", 1), (action, 1)]
        current = stage.call("GET", f"/slos/{slo['id']}", stage.editor).json()
        assert current["status"] == status


def test_of_an_approval_and_an_edit_at_once_exactly_one_wins(stage: Stage) -> None:
    for _ in range(ROUNDS):
        slo = stage.proposed_slo("approve-edit")
        read = stage.call("GET", f"/slos/{slo['id']}", stage.editor)
        etag = read.headers["etag"]

        def edit(client: httpx.Client, slo: dict[str, object] = slo, etag: str = etag
                 ) -> httpx.Response:
            return client.patch(f"/slos/{slo['id']}", headers={"If-Match": etag},
                                json={"objective": 50.0, "comment": "loosen it"})

        answers = at_once(stage.server.base, [(stage.dave, _review(slo, "approve", 1)),
                                              (stage.editor, edit)])
        winner, [loser] = _winner_and_losers(answers, 200)
        final = stage.call("GET", f"/slos/{slo['id']}", stage.editor).json()
        if winner is answers[0]:  # the approval won: the edit saw a proposal that is gone
            assert (final["status"], final["version"], final["objective"]) == (
                "approved", 1, 99.0)
            assert loser.json()["current_status"] == "approved"
        else:  # the edit won: the approval was of version 1, which is no longer current
            assert (final["status"], final["version"], final["objective"]) == (
                "proposed", 2, 50.0)
            assert loser.json()["current_version"] == 2


def test_an_edit_racing_an_approval_never_ends_approved_with_the_unreviewed_change(
    stage: Stage,
) -> None:
    """The editor sends only the version (not the ETag): the edit may land after the approval,
    and then it sends the SLO back to review instead of riding on the approval."""
    for _ in range(ROUNDS):
        slo = stage.proposed_slo("edit-after-approval")

        def edit(client: httpx.Client, slo: dict[str, object] = slo) -> httpx.Response:
            return client.patch(f"/slos/{slo['id']}", json={"objective": 50.0, "version": 1})

        approved, edited = at_once(stage.server.base, [
            (stage.dave, _review(slo, "approve", 1)), (stage.editor, edit)])
        assert edited.status_code == 200, edited.text
        assert approved.status_code in (200, 409), approved.text
        final = stage.call("GET", f"/slos/{slo['id']}", stage.editor).json()
        assert (final["status"], final["version"], final["objective"]) == ("proposed", 2, 50.0)


def test_of_two_edits_at_once_of_the_same_version_exactly_one_lands(stage: Stage) -> None:
    """Each editor says which version they edited: the second would overwrite an edit it did
    not see."""
    for _ in range(ROUNDS):
        slo = stage.proposed_slo("edit-edit")

        def edit(objective: float, slo: dict[str, object] = slo):  # type: ignore[no-untyped-def]
            def call(client: httpx.Client) -> httpx.Response:
                return client.patch(f"/slos/{slo['id']}",
                                    json={"objective": objective, "version": 1})
            return call

        answers = at_once(stage.server.base, [(stage.editor, edit(95.0)),
                                              (stage.editor, edit(50.0))])
        winner, [loser] = _winner_and_losers(answers, 200)
        assert loser.json()["current_version"] == 2
        final = stage.call("GET", f"/slos/{slo['id']}", stage.editor).json()
        assert (final["version"], final["objective"]) == (2, winner.json()["objective"])
        assert stage.history(slo["id"]) == [("create", 1), ("edit", 2)]


def test_of_two_slos_of_one_name_created_at_once_one_is_stored_and_the_other_gets_409(
    stage: Stage,
) -> None:
    for i in range(ROUNDS):
        bodies = [{"service": "shop-frontend", "environment": "prod",
                   "journey_id": next(stage.journey_ids), "name": f"same-name-{i}",
                   "sli_kind": "availability", "objective": 99.0} for _ in range(2)]
        body = bodies[0]

        def create(body: dict[str, object]):  # type: ignore[no-untyped-def]
            def call(client: httpx.Client) -> httpx.Response:
                return client.post("/slos", json=body)
            return call

        _, [loser] = _winner_and_losers(at_once(stage.server.base, [
            (stage.editor, create(bodies[0])), (stage.editor, create(bodies[1]))]), 201)
        assert "exists in this environment already" in loser.json()["detail"]
        listed = stage.call("GET", "/slos", stage.editor, params={"limit": 500}).json()
        assert [s["name"] for s in listed["items"]].count(body["name"]) == 1


def test_of_two_slos_renamed_to_one_name_at_once_one_is_renamed_and_the_other_gets_409(
    stage: Stage,
) -> None:
    # both edits find the name free before either writes (the held lock makes sure): the
    # second UPDATE then meets the unique name, which must be a 409, never a 500
    for i in range(RENDER_ROUNDS):
        first, second = stage.proposed_slo("rename"), stage.proposed_slo("rename")
        name = f"renamed-{i}"

        def rename(slo: dict[str, object], name: str = name):  # type: ignore[no-untyped-def]
            def call(client: httpx.Client) -> httpx.Response:
                return client.patch(f"/slos/{slo['id']}", json={"name": name, "version": 1})
            return call

        with _bundles_locked(stage, "slos") as waiting:
            race = Race(stage.server.base, [(stage.editor, rename(first)),
                                            (stage.editor, rename(second))])
            waiting(2)
        _, [loser] = _winner_and_losers(race.answers(), 200)
        assert "exists in this environment already" in loser.json()["detail"]
        listed = stage.call("GET", "/slos", stage.editor, params={"limit": 500}).json()
        assert [s["name"] for s in listed["items"]].count(name) == 1


def _approved_slo(stage: Stage) -> None:
    """One approved SLO in the rendered environment (two of one journey and kind would not
    render: their SLO ids would repeat)."""
    listed = stage.call("GET", "/slos", stage.editor,
                        params={"service": RENDERED, "status": "approved"}).json()
    if listed["total"]:
        return
    slo = stage.proposed_slo("rendered", RENDERED)
    approved = stage.call("POST", f"/slos/{slo['id']}/approve", stage.dave,
                          json={"comment": "ok", "version": slo["version"]})
    assert approved.status_code == 200, approved.text


@contextmanager
def _bundles_locked(stage: Stage, table: str = "artifact_bundles"
                    ) -> Iterator[Callable[[int], None]]:
    """Holds the database's write lock on ``table`` from outside the server, so every request
    of a round reads the same state (the latest bundle version, a free name) and then waits to
    write. Yields a function that returns once ``n`` requests are waiting."""
    url = stage.database_url
    if url.startswith("sqlite"):
        held = sqlite3.connect(Path(url.split("///", 1)[1]), isolation_level=None)
        held.execute("BEGIN IMMEDIATE")
        try:  # SQLite cannot list its waiters: they wait once the server stops using CPU
            yield lambda n: stage.server.wait_until_idle(busy_first=True)
        finally:
            held.execute("ROLLBACK")
            held.close()
        return
    conninfo = url.replace("postgresql+asyncpg://", "postgresql://")
    with psycopg.connect(conninfo) as pg, psycopg.connect(conninfo, autocommit=True) as observer:
        pg.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")

        def waiting(n: int) -> None:
            for _ in range(1200):
                row = observer.execute(
                    "SELECT count(*) FROM pg_locks WHERE relation = "
                    f"'{table}'::regclass AND NOT granted").fetchone()
                if row is not None and row[0] == n:
                    return
                time.sleep(0.05)
            raise AssertionError(f"{n} requests never all waited to write {table}")

        try:
            yield waiting
        finally:
            pg.rollback()


def test_of_renders_racing_for_one_bundle_version_one_wins_and_the_rest_get_409(
    stage: Stage,
) -> None:
    _approved_slo(stage)
    body = {"service": RENDERED, "environment": "prod"}

    def render(client: httpx.Client) -> httpx.Response:
        return client.post("/artifacts", json=body)

    for _ in range(RENDER_ROUNDS):
        with _bundles_locked(stage) as waiting:
            race = Race(stage.server.base, [(stage.editor, render)] * 3)
            waiting(3)
        winner, losers = _winner_and_losers(race.answers(), 201)
        version = winner.json()["version"]
        for loser in losers:
            problem = loser.json()
            assert problem["current_version"] == version, problem
            assert problem["current_status"] == "proposed"
    listed = stage.call("GET", "/artifacts", stage.editor, params={"service": RENDERED})
    versions = [b["version"] for b in listed.json()["items"]]
    assert versions == sorted(set(versions), reverse=True)


def test_of_two_approvals_of_a_bundle_at_once_exactly_one_wins(stage: Stage) -> None:
    _approved_slo(stage)
    for _ in range(ROUNDS):
        rendered = stage.call("POST", "/artifacts", stage.editor,
                              json={"service": RENDERED, "environment": "prod"})
        assert rendered.status_code == 201, rendered.text
        bundle = rendered.json()

        def approve(client: httpx.Client, bundle: dict[str, object] = bundle) -> httpx.Response:
            return client.post(f"/artifacts/{bundle['id']}/approve",
                               json={"comment": "ship it", "version": bundle["version"]})

        answers = at_once(stage.server.base, [(stage.carol, approve), (stage.dave, approve)])
        winner, [loser] = _winner_and_losers(answers, 200)
        assert loser.json()["current_status"] == "approved"
        final = stage.call("GET", f"/artifacts/{bundle['id']}", stage.editor).json()
        assert final["approved_by"] == winner.json()["approved_by"]
