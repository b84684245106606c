"""A real ``readouts serve`` in headless Chromium: the main pages render, hostile text stays inert.

Uses Debian's ``chromium`` (``make test`` installs it with apt-get when it can) driven by
Playwright, without Playwright's own browser download. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from served import free_port, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed and could not be (make test runs "
        "`apt-get install -y chromium` when run as root with apt)",
        allow_module_level=True,
    )
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


@pytest.fixture(scope="module")
def served(archive):
    """``readouts serve`` in a child process, as a user runs it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "readouts",
        "--db",
        str(archive[0]),
        "serve",
        "--port",
        str(port),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with serving(command, f"{base}/-/versions.json", "readouts serve", env=env):
        yield base


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page that records every dialog (alert, confirm, prompt) a script opens."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.dialogs = []

    def on_dialog(dialog):
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    yield tab
    context.close()


def visit(page, url: str, shot: str) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response.status == 200, url
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)


def test_main_pages_render(page, served):
    visit(page, f"{served}/archive", "database")
    assert page.locator("text=Flags of the last 7 days").count() >= 1
    visit(page, f"{served}/archive/recent_flags", "recent-flags")
    assert page.locator("table.rows-and-columns tbody tr").count() >= 5
    visit(page, f"{served}/archive/documents", "documents")
    assert page.locator(".facet-info").count() >= 3


def test_diff_views_render(page, served, ids):
    visit(page, f"{served}/-/readouts/change/{ids['change']}", "change-inline")
    assert page.locator(".ro-diff del", has_text="substantive").is_visible()
    assert page.locator(".ro-diff ins", has_text="constructive").is_visible()
    visit(page, f"{served}/-/readouts/change/{ids['change']}?layout=side", "change-side-by-side")
    before, after = (
        page.locator(".ro-changed .ro-before").last,
        page.locator(".ro-changed .ro-after").last,
    )
    assert before.bounding_box()["x"] < after.bounding_box()["x"]
    assert page.locator(".ro-before del", has_text="substantive").is_visible()


def test_citation_and_document_views_render(page, served, ids):
    visit(page, f"{served}/-/readouts/citation/{ids['citation']}", "citation")
    assert page.locator("#article-1").is_visible() and page.locator("#readout-1").is_visible()
    assert page.locator("mark.ro-drifted").count() >= 2
    visit(page, f"{served}/-/readouts/document/{ids['readout']}", "document")
    assert page.locator("h2", has_text="Cited by").is_visible()


def test_counterparts_and_reported_citation_render(page, served, ids):
    visit(page, f"{served}/-/readouts/counterparts/{ids['counterpart']}", "counterparts")
    left, right = page.locator("#A1"), page.locator("#B1")
    assert left.bounding_box()["x"] < right.bounding_box()["x"]
    assert abs(left.bounding_box()["y"] - right.bounding_box()["y"]) < 2  # a matched pair is level
    assert page.locator(".ro-sentence.ro-only", has_text="Bashar al-Assad").is_visible()
    visit(page, f"{served}/-/readouts/citation/{ids['reported_citation']}", "reported-citation")
    assert page.locator("mark.ro-reported").count() == 2


def test_charts_render(page, served):
    visit(page, f"{served}/-/dashboards/readouts", "charts")
    page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=30_000)
    assert page.locator(".vega-embed").count() == 2


def test_hostile_pages_run_no_script(page, served, ids):
    for shot, path in [
        ("hostile-document", f"/-/readouts/document/{ids['hostile']}"),
        ("hostile-diff", f"/-/readouts/version/{ids['hostile_version']}?layout=side"),
        ("hostile-citation", f"/-/readouts/citation/{ids['hostile_citation']}"),
        ("hostile-counterparts", f"/-/readouts/counterparts/{ids['hostile_counterpart']}"),
        ("hostile-versions-table", "/archive/versions?_search=alert"),
        ("hostile-search", "/archive/search_readouts?words=alert"),
    ]:
        visit(page, served + path, shot)
        for link in page.locator("a").all():
            href = (link.get_attribute("href") or "").strip().lower()
            assert not href.startswith("javascript:"), (path, href)
        assert page.evaluate("document.querySelectorAll('img[src=x], b[onmouseover]').length") == 0
        page.mouse.move(400, 400)
    assert page.dialogs == []
