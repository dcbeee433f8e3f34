"""The portfolio for a program manager, on a phone (390 px) and a desktop (1366 px), in
headless Chromium: no page wider than its viewport, no two chart labels' boxes overlapping
(nor past their chart), roll-ups by customer and by program, closed engagements apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dashboard.browser import Browser, sign_in_in_browser
from tests.dashboard.conftest import Dashboard, ps_team, scaffold

WIDTHS = (390, 1366)
OVERLAPS = """
(() => {
  const found = [];
  for (const svg of document.querySelectorAll('svg')) {
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll('text')]
      .map(t => [t.textContent, t.getBoundingClientRect()])
      .filter(([_, r]) => r.width > 0);
    for (const [name, r] of boxes) {
      if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5)
        found.push(`${svg.getAttribute('aria-labelledby')}: "${name}" outside its chart`);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, p] = boxes[i], [b, q] = boxes[j];
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (w > 0.5 && h > 0.5) found.push(`"${a}" overlaps "${b}"`);
    }
  }
  return found;
})()
"""


@pytest.fixture
def browser(tmp_path) -> Iterator[Browser]:
    opened = Browser(tmp_path / "profile")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def programs(dashboard: Dashboard) -> dict[str, int]:
    """Three engagements: two in program "Cloud move" (Acme, Globex with twelve sprints and
    long workstream names at work), one of Initech, closed (every gate passed)."""
    sandbox, store = dashboard.sandbox, dashboard.service.store
    sandbox.seed({"users": [{"username": "ada", "admin": True}], "groups": [ps_team("ada")]})
    roles = {"project_manager": "ada", "technical_architects": "ada"}
    scaffold(
        sandbox, store, "acme/portal", {"customer": "Acme Corp", "program": "Cloud move", **roles}
    )
    scaffold(sandbox, store, "globex/platform-modernisation-and-migration",
             {"customer": "Globex International Holdings", "program": "Cloud move",
              "sprints": "12", "waves": "6"})  # fmt: skip
    scaffold(sandbox, store, "initech/legacy", {"customer": "Initech"})
    gl = sandbox.gitlab()
    globex = gl.projects.get("globex/platform-modernisation-and-migration")
    for issue in globex.issues.list(get_all=True, per_page=100)[:12]:
        issue.labels = [*issue.labels, "PSD Workflow::In Progress"]
        issue.save()
        issue.state_event = "close"
        issue.save()
    initech = gl.projects.get("initech/legacy")
    for issue in initech.issues.list(get_all=True, per_page=100, labels="PSDM Gate"):
        issue.state_event = "close"
        issue.save()
    dashboard.portfolio.refresh_all()
    return {"globex": globex.id, "initech": initech.id}


def at_width(browser: Browser, width: int, url: str) -> None:
    browser.page.send(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=False,  # a mobile viewport zooms out to fit a too-wide page: nothing to see
    )
    browser.page.goto(url)


def page_width(browser: Browser) -> int:
    return int(browser.page.js("document.documentElement.scrollWidth"))


def test_pages_fit_their_viewport_and_chart_labels_never_overlap(
    dashboard: Dashboard, programs, browser: Browser
) -> None:
    assert sign_in_in_browser(browser, dashboard, "ada") == dashboard.url + "/"
    for width in WIDTHS:
        for url in ("/", f"/engagements/{programs['globex']}"):
            at_width(browser, width, dashboard.url + url)
            assert browser.page.js("window.innerWidth") == width
            assert page_width(browser) <= width, (width, url, page_width(browser))
            assert browser.page.js("document.querySelectorAll('svg text').length") or url == "/"
            assert browser.page.js(OVERLAPS) == [], (width, url)


def test_the_portfolio_rolls_up_by_customer_and_program_with_closed_engagements_apart(
    dashboard: Dashboard, programs, browser: Browser
) -> None:
    assert sign_in_in_browser(browser, dashboard, "ada") == dashboard.url + "/"
    for width in WIDTHS:
        at_width(browser, width, dashboard.url + "/")
        page = browser.page
        customers = page.js(
            "[...document.querySelectorAll('#by-customer tr.rollup')].map(r => r.dataset.name)"
        )
        assert customers == ["Acme Corp", "Globex International Holdings", "Initech"]
        program = page.js(
            "[...document.querySelectorAll('#by-program tr.rollup')]"
            ".map(r => [r.dataset.name, r.innerText])"
        )
        assert [p[0] for p in program] == ["Cloud move", "initech"]
        assert "2 running" in program[0][1] and "Acme Corp" in program[0][1]
        assert "1 closed" in program[1][1]
        running = page.js(
            "[...document.querySelectorAll('#portfolio tr.engagement')].map(r => r.dataset.project)"
        )
        closed = page.js(
            "[...document.querySelectorAll('#closed tr.engagement')].map(r => r.dataset.project)"
        )
        assert "initech/legacy" not in running and closed == ["initech/legacy"]
        acme = page.js("document.querySelector('tr[data-project=\"acme/portal\"]').innerText")
        assert "Project manager: @ada" in acme.replace("\n", " ")
        assert "Gate: " in acme and "due 20" in acme, "the next gate and its date"
