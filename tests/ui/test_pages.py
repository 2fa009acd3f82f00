"""The UI's pages over the control layer, on SQLite and PostgreSQL: what each role sees and may
do (buttons only where the role allows, the server refusing regardless), errors as pages, and
the review flow from a proposal to an approved bundle and its diff."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from tests.fixtures.ui_stage import ADMIN_KEY, Keys, prepare, signed_in
from tests.worker.jobs import NOW

from slo_scout.api.app import create_app
from slo_scout.settings import Settings


@pytest.fixture
def keys(migrated_url: str) -> Keys:
    return prepare(migrated_url)


@pytest.fixture
def app(migrated_url: str, keys: Keys) -> Iterator[TestClient]:
    settings = Settings(database_url=migrated_url, auth={"bootstrap_admin_key": ADMIN_KEY})
    # One client, so one event loop: asyncpg's pooled connections belong to the loop that
    # opened them. Each person below is this client with their own session cookie.
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        yield client


class Person:
    """One browser's session over the shared client: its own cookie on every request."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        client.cookies.clear()
        self.csrf = signed_in(client, key)
        self.cookie = client.cookies["slo_scout_session"]

    def _use(self) -> TestClient:
        self.client.cookies.clear()
        self.client.cookies.set("slo_scout_session", self.cookie, path="/ui")
        return self.client

    def get(self, path: str, **kwargs: Any) -> Response:
        return self._use().get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self._use().post(path, **kwargs)


def _as(app: TestClient, key: str) -> tuple[Person, str]:
    person = Person(app, key)
    return person, person.csrf


def _result_id(client: Person) -> int:
    found = re.search(r'/ui/analyses/(\d+)">proposals', client.get("/ui/analyses").text)
    assert found is not None
    return int(found.group(1))


def _adopted(app: TestClient, keys: Keys) -> int:
    editor, csrf = _as(app, keys.editor)
    answer = editor.post(f"/ui/analyses/{_result_id(editor)}/adopt", data={
        "journey_key": "j-checkout", "sli_kind": "availability", "csrf_token": csrf},
        follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def test_journeys_are_listed_busiest_first_and_a_search_narrows_them(app: TestClient, keys: Keys
                                                                      ) -> None:
    viewer, _ = _as(app, keys.viewer)
    page = viewer.get("/ui/journeys").text
    assert page.index("checkout") < page.index("items")  # 288,000 requests before 172,800
    assert "2 journeys" in page
    journeys, fragments = page.split('id="fragments-h"')
    assert "Charge" in fragments and "Charge" not in journeys  # apart, never a journey
    assert ">7<" in fragments  # its traces
    partial = viewer.get("/ui/journeys", params={"q": "items"},
                         headers={"HX-Request": "true", "HX-Target": "journey-results"})
    assert "1 journeys" in partial.text and "<html" not in partial.text  # the rows only


def test_a_journey_page_draws_its_charts_and_critical_path(app: TestClient, keys: Keys) -> None:
    viewer, _ = _as(app, keys.viewer)
    journey_id = re.search(r'/ui/journeys/(\d+)">checkout', viewer.get("/ui/journeys").text)
    assert journey_id is not None
    page = viewer.get(f"/ui/journeys/{journey_id.group(1)}").text
    assert page.count("<svg") >= 3  # latency histogram, traffic, critical-path bars
    assert "Traffic of checkout" in page and "Latency distribution of checkout" in page
    assert "payments" in page  # the call graph's callee and a critical-path step


def test_a_viewer_sees_no_review_buttons_and_the_server_refuses_the_post(
    app: TestClient, keys: Keys,
) -> None:
    slo_id = _adopted(app, keys)
    viewer, csrf = _as(app, keys.viewer)
    page = viewer.get(f"/ui/slos/{slo_id}").text
    assert "Approve" not in page and "Propose this edit" not in page
    assert "Adopt as SLO" not in viewer.get(f"/ui/analyses/{_result_id(viewer)}").text
    answer = viewer.post(f"/ui/slos/{slo_id}/review", data={
        "verdict": "approve", "comment": "lgtm", "version": 1, "csrf_token": csrf})
    assert answer.status_code == 403 and "approver" in answer.text
    assert "status-proposed" in viewer.get(f"/ui/slos/{slo_id}").text


def test_another_teams_things_are_not_found_in_the_same_words_as_missing_ones(
    app: TestClient, keys: Keys,
) -> None:
    stranger, _ = _as(app, keys.stranger)
    slo_id = _adopted(app, keys)
    hidden, missing = stranger.get(f"/ui/slos/{slo_id}"), stranger.get("/ui/slos/999999")
    assert hidden.status_code == missing.status_code == 404
    assert f"SLO {slo_id} does not exist" in hidden.text
    assert "2 journeys" not in stranger.get("/ui/journeys").text
    assert stranger.get("/ui/journeys/99999999999").status_code == 404  # past 32 bits
    assert stranger.get("/ui/journeys/abc").status_code == 404
    assert "<html" in stranger.get("/ui/journeys/abc").text  # a page, not problem+json


def test_a_review_of_a_version_that_changed_meanwhile_is_a_409_page(app: TestClient, keys: Keys
                                                                    ) -> None:
    slo_id = _adopted(app, keys)
    editor, csrf = _as(app, keys.editor)
    edited = editor.post(f"/ui/slos/{slo_id}/edit", data={
        "version": 1, "objective": 99.0, "window_days": 30, "description": "",
        "csrf_token": csrf})
    assert edited.status_code == 200 and "status-proposed" in edited.text
    approver, csrf = _as(app, keys.approver)
    stale = approver.post(f"/ui/slos/{slo_id}/review", data={
        "verdict": "approve", "comment": "read v1", "version": 1, "csrf_token": csrf})
    assert stale.status_code == 409 and "version 2" in stale.text


def test_the_review_flow_ends_in_an_approved_bundle_with_a_side_by_side_diff(
    app: TestClient, keys: Keys,
) -> None:
    slo_id = _adopted(app, keys)
    approver, approver_csrf = _as(app, keys.approver)
    editor, editor_csrf = _as(app, keys.editor)

    def approve_slo(version: int) -> None:
        done = approver.post(f"/ui/slos/{slo_id}/review", data={
            "verdict": "approve", "comment": "measured, fine", "version": version,
            "csrf_token": approver_csrf})
        assert done.status_code == 200 and "status-approved" in done.text, done.text[-800:]

    def render() -> tuple[int, str]:
        made = editor.post("/ui/bundles", data={"target": "shop-frontend/prod",
                                                "csrf_token": editor_csrf})
        assert made.status_code == 200 and "Bundle v" in made.text, made.text[-800:]
        return int(made.url.path.rsplit("/", 1)[1]), made.text

    approve_slo(1)
    first, page = render()
    assert "nothing approved yet" in page and "Approve bundle" not in page  # editor: no button
    approved = approver.post(f"/ui/bundles/{first}/approve", data={
        "comment": "ship it", "version": 1, "csrf_token": approver_csrf})
    assert "status-approved" in approved.text and "Deliver as a pull request" in approved.text

    editor.post(f"/ui/slos/{slo_id}/edit", data={
        "version": 1, "objective": 99.0, "window_days": 30, "description": "",
        "csrf_token": editor_csrf})
    approve_slo(2)
    _, page = render()
    assert "against approved v1" in page
    changed = re.findall(r'<tr class="changed">.*?</tr>', page, re.S)
    assert any("99.0" in row for row in changed), "the objective's change is not side by side"


def test_an_admin_issues_a_key_shown_once_and_reads_the_audit_log(app: TestClient, keys: Keys
                                                                  ) -> None:
    admin, csrf = _as(app, ADMIN_KEY)
    issued = admin.post("/ui/admin/keys", data={
        "subject": "nina", "name": "nina", "team": "*", "role": "viewer", "csrf_token": csrf})
    assert issued.status_code == 201
    key = re.search(r'id="issued-key">(ssk_[^<]+)<', issued.text)
    assert key is not None
    assert key.group(1) not in admin.get("/ui/admin/keys").text  # shown once
    assert "api_key.create" in admin.get("/ui/admin/audit").text
    viewer, _ = _as(app, keys.viewer)
    assert viewer.get("/ui/admin/audit").status_code == 403
    assert "Audit log" not in viewer.get("/ui/journeys").text


def test_an_adopted_slo_shows_its_analysis_evidence_and_budget(app: TestClient, keys: Keys
                                                                ) -> None:
    slo_id = _adopted(app, keys)
    viewer, _ = _as(app, keys.viewer)
    page = viewer.get(f"/ui/slos/{slo_id}").text
    assert "Evidence from the analysis" in page and "Incidents kept out of the estimate" in page
    assert "288,000 / 288,000" in page  # the checkout journey's day, all good
    assert "minutes over 30 days" in page  # the budget the objective allows


def test_an_editor_starts_an_analysis_within_the_apis_lookback_cap(app: TestClient, keys: Keys
                                                                   ) -> None:
    editor, csrf = _as(app, keys.editor)
    started = editor.post("/ui/analyses", data={
        "target": "shop-frontend/prod", "lookback": "6h", "csrf_token": csrf})
    assert started.status_code == 200 and "status-queued" in started.text
    too_long = editor.post("/ui/analyses", data={
        "target": "shop-frontend/prod", "lookback": "500d", "csrf_token": csrf})
    assert too_long.status_code == 422 and "400d" in too_long.text
    viewer, csrf = _as(app, keys.viewer)
    assert "Start an analysis" not in viewer.get("/ui/analyses").text
    refused = viewer.post("/ui/analyses", data={
        "target": "shop-frontend/prod", "lookback": "6h", "csrf_token": csrf})
    assert refused.status_code == 403
