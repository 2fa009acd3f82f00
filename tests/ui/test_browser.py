"""The review UI in a real headless Chromium (Debian's, driven by playwright) against a real
``slo-scout serve`` process: sign-in, the review flow from a proposal to a delivered bundle,
the side-by-side diff, error pages, the htmx search, and axe-core on every page.

Screenshots go to $SLO_SCOUT_UI_SCREENSHOTS when set (``make screenshots`` sets docs/images,
which the docs show), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.fixtures.forges import FakeGitHub, GitRepository
from tests.fixtures.review_server import serve
from tests.fixtures.ui_stage import ADMIN_KEY, Keys, prepare

from slo_scout.db import migrate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parents[2] / ".cache" / "axe-core-4.14.1" / "axe.min.js"
TOKEN = "ghp_ui-test-token-0123456789"  # a test credential for the fake GitHub

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or not AXE.exists(),
    reason="needs chromium and axe-core: run scripts/bootstrap-system.sh and "
           "scripts/fetch-ui-test-assets.sh (make bootstrap does both)")


@dataclass
class Stage:
    base: str
    keys: Keys
    browser: Browser
    shots: Path
    github: FakeGitHub
    pages: dict[str, str]  # name -> path, every page the tests visited, for axe


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    folder = tmp_path_factory.mktemp("ui")
    url = f"sqlite+aiosqlite:///{folder / 'slo-scout.db'}"
    migrate.upgrade(url)
    keys = prepare(url)
    repo = GitRepository(folder / "team.git")
    repo.commit_files("main", {"README.md": "ours\n"}, "init")
    github = FakeGitHub(repo, "acme/slos", TOKEN)
    shots = Path(os.environ.get("SLO_SCOUT_UI_SCREENSHOTS") or folder / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("SLO_SCOUT_DELIVERY__GITHUB", "acme/slos")
            env.setenv("SLO_SCOUT_DELIVERY__GITHUB_TOKEN", TOKEN)
            env.setenv("SLO_SCOUT_DELIVERY__GITHUB_API_URL", github.url)
            server_cm = serve(url, ADMIN_KEY)
            server = server_cm.__enter__()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                yield Stage(server.base.removesuffix("/api/v1"), keys, browser, shots, github,
                            {})
            finally:
                browser.close()
                errors = server.errors()
                server_cm.__exit__(None, None, None)
        assert "Traceback" not in errors, errors
    finally:
        github.close()


def _page(stage: Stage) -> Page:
    context = stage.browser.new_context(viewport={"width": 1280, "height": 860},
                                        base_url=stage.base)
    return context.new_page()


def _sign_in(stage: Stage, key: str) -> Page:
    page = _page(stage)
    page.goto("/ui/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/journeys$"))
    return page


def _shot(stage: Stage, page: Page, name: str, *, full_page: bool = True) -> None:
    stage.pages[name] = page.url.removeprefix(stage.base)
    page.screenshot(path=str(stage.shots / f"ui-{name}.png"), full_page=full_page)


def test_signing_in_with_a_wrong_key_says_so_and_the_right_key_opens_the_journeys(
    stage: Stage,
) -> None:
    page = _page(stage)
    page.goto("/ui/journeys")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=/ui/journeys$"))
    page.get_by_label("API key").fill("ssk_0000deadbeef_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown or revoked")
    _shot(stage, page, "login")
    page.get_by_label("API key").fill(stage.keys.viewer)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Journeys", exact=True)).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "slo_scout_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("slo_scout_session") == -1  # not for scripts


def test_the_search_updates_the_list_in_place_with_htmx(stage: Stage) -> None:
    page = _sign_in(stage, stage.keys.viewer)
    rows = page.locator("table.journeys tbody tr")
    expect(rows).to_have_count(2)
    _shot(stage, page, "journeys")
    page.evaluate("window.stillThisPage = true")
    page.get_by_label("Search journeys").fill("items")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("items")
    expect(page).to_have_url(re.compile(r"q=items"))  # pushed: the search can be shared
    assert page.evaluate("window.stillThisPage === true")  # rows swapped in, no reload
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Critical path")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Latency distribution"))).to_be_visible()
    # the bands and the similar journeys are swapped in after the page is shown (htmx)
    expect(page.get_by_role("img", name=re.compile("^Availability of"))).to_be_visible()
    expect(page.locator("#similar p.unavailable, #similar table")).to_be_visible()
    stage.pages["journey bands"] = page.url.removeprefix(stage.base) + "/bands"
    stage.pages["similar journeys"] = page.url.removeprefix(stage.base) + "/similar"
    _shot(stage, page, "journey")


def test_a_proposal_becomes_an_approved_slo_and_a_delivered_bundle(stage: Stage) -> None:
    editor = _sign_in(stage, stage.keys.editor)
    editor.goto("/ui/analyses")
    editor.get_by_role("link", name="proposals").click()
    proposal = editor.get_by_role("article", name=re.compile("availability proposal for checkout"))
    expect(proposal).to_contain_text("source: measured")
    _shot(stage, editor, "analysis")
    proposal.get_by_role("button", name="Adopt as SLO").click()
    expect(editor.locator("h1")).to_contain_text("proposed")
    assert editor.get_by_role("button", name="Approve").count() == 0  # an editor's page
    slo_path = editor.url.removeprefix(stage.base)

    approver = _sign_in(stage, stage.keys.approver)
    approver.goto(slo_path)
    approver.get_by_label("Comment (required)").fill("Measured over a day; fine.")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.get_by_role("status")).to_contain_text("Approved.")
    expect(approver.locator("h1")).to_contain_text("approved")
    expect(approver.locator("#forecast")).to_contain_text("Budget spent")  # swapped in
    stage.pages["budget forecast"] = f"{slo_path}/forecast"
    _shot(stage, approver, "slo")

    editor.goto("/ui/bundles")
    editor.get_by_role("button", name="Render a bundle").click()
    expect(editor.locator("h1")).to_contain_text("Bundle v1")
    bundle_path = editor.url.removeprefix(stage.base)
    approver.goto(bundle_path)
    approver.get_by_label("Comment (required)").fill("Rules read well.")
    approver.get_by_role("button", name="Approve bundle").click()
    expect(approver.locator("h1")).to_contain_text("approved")
    approver.get_by_role("button", name="Deliver as a pull request").click()
    link = approver.get_by_role("link", name="#1")
    expect(link).to_have_attribute("href", re.compile(r"/acme/slos/pull/1$"))
    assert stage.github.pulls[0].number == 1
    expect(approver.locator("#pulls")).to_contain_text("open")  # asked of the forge, swapped in
    stage.pages["pull requests now"] = f"{bundle_path}/pulls"
    _shot(stage, approver, "bundle", full_page=False)


def test_an_edit_approved_again_renders_a_bundle_diffed_side_by_side(stage: Stage) -> None:
    editor = _sign_in(stage, stage.keys.editor)
    editor.goto("/ui/slos?status=approved")
    editor.locator("table a").first.click()
    slo_path = editor.url.removeprefix(stage.base)
    editor.get_by_text("Edit (proposes version 2").click()
    editor.get_by_label("Objective (%)").fill("99.5")
    editor.get_by_label("Comment", exact=True).fill("a little stricter")
    editor.get_by_role("button", name="Propose this edit").click()
    expect(editor.locator("h1")).to_contain_text("proposed")

    approver = _sign_in(stage, stage.keys.approver)
    approver.goto(slo_path)
    approver.get_by_label("Comment (required)").fill("Stricter is fine.")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.locator("h1")).to_contain_text("approved")

    editor.goto("/ui/bundles")
    editor.get_by_role("button", name="Render a bundle").click()
    expect(editor.locator("h1")).to_contain_text("Bundle v2")
    expect(editor.get_by_role("heading", name="Changes against approved v1")).to_be_visible()
    changed = editor.locator("table.sbs tr.changed")
    expect(changed.first).to_be_visible()
    assert any("99.5" in row for row in changed.all_inner_texts())
    changed.first.scroll_into_view_if_needed()
    _shot(stage, editor, "diff", full_page=False)


def test_errors_are_pages_and_a_viewer_gets_no_buttons(stage: Stage) -> None:
    viewer = _sign_in(stage, stage.keys.viewer)
    answer = viewer.goto("/ui/journeys/999999")
    assert answer is not None and answer.status == 404
    expect(viewer.get_by_role("alert")).to_contain_text("journey 999999 does not exist")
    _shot(stage, viewer, "not-found")
    viewer.goto("/ui/slos")
    viewer.locator("table a").first.click()
    assert viewer.get_by_role("button", name="Approve").count() == 0
    assert viewer.get_by_role("button", name="Propose this edit").count() == 0
    answer = viewer.goto("/ui/admin/audit")
    assert answer is not None and answer.status == 403


def test_no_page_has_a_serious_or_critical_accessibility_violation(stage: Stage) -> None:
    assert len(stage.pages) >= 6, f"the tests before visited only {sorted(stage.pages)}"
    page = _sign_in(stage, ADMIN_KEY)
    # axe is injected as a script: this context alone lets it past the pages' CSP
    checker = stage.browser.new_context(bypass_csp=True, base_url=stage.base,
                                        storage_state=page.context.storage_state())
    found = {}
    for name, path in {**stage.pages, "keys": "/ui/admin/keys", "audit": "/ui/admin/audit",
                       "slos": "/ui/slos", "bundles": "/ui/bundles"}.items():
        tab = checker.new_page()
        tab.goto(path)
        tab.add_script_tag(path=str(AXE))
        result = tab.evaluate("async () => await axe.run(document)")
        serious = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
        if serious:
            found[name] = serious
        tab.close()
    assert not found, found
