"""The dashboard as people see it: headless Chromium signs in, reads, screenshots, checks a11y.

Two customers: Acme (green) and Globex (red, three high risks). An administrator sees both
rows, the engagement page draws its charts, axe-core finds no serious violation; alice, who
can read only Acme, sees only that row and is refused Globex's page. Set
PSDM_SCREENSHOT_DIR to keep the screenshots (docs/portfolio.png comes from here).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboard.browser import Browser, axe_source, sign_in_in_browser
from tests.dashboard.conftest import Dashboard, ps_team

PNG = b"\x89PNG\r\n\x1a\n"
SERIOUS = ("serious", "critical")


@pytest.fixture
def browser(tmp_path) -> Iterator[Browser]:
    opened = Browser(tmp_path / "profile")
    try:
        yield opened
    finally:
        opened.close()


def shot(browser: Browser, name: str, tmp_path: Path) -> bytes:
    keep = os.environ.get("PSDM_SCREENSHOT_DIR")
    target = Path(keep) / name if keep else tmp_path / name
    data = browser.page.screenshot(target)
    assert data.startswith(PNG)
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height >= 600
    assert len(data) > 20_000
    return data


def visible(browser: Browser, selector: str) -> bool:
    """The element is laid out and is what the viewer sees at its own centre."""
    return bool(
        browser.page.js(
            f"(() => {{ const e = document.querySelector({selector!r}); if (!e) return false;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " if (r.width < 1 || r.height < 1) return false;"
            " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return hit === e || e.contains(hit); })()"
        )
    )


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in SERIOUS]


def test_an_administrator_sees_both_customers_in_health_order(
    dashboard: Dashboard, two_customers, browser: Browser, tmp_path
) -> None:
    axe = axe_source()
    dashboard.sandbox.seed(
        {"users": [{"username": "ada", "admin": True}], "groups": [ps_team("ada")]}
    )
    assert sign_in_in_browser(browser, dashboard, "ada") == dashboard.url + "/"
    page = browser.page
    rows = page.js(
        "[...document.querySelectorAll('tr.engagement')].map(r =>"
        " [r.dataset.project, r.dataset.health, r.innerText])"
    )
    assert [r[:2] for r in rows] == [["globex/platform", "red"], ["acme/portal", "green"]]
    assert "Globex" in rows[0][2] and "3 open high-priority RAID items" in rows[0][2]
    assert "Acme Corp" in rows[1][2] and "Discovery" in rows[1][2]
    for selector in ("tr.engagement .health.red", "tr.engagement .health.green", "#failures"):
        assert visible(browser, selector), selector
    assert "Signed in as ada" in page.js("document.querySelector('header').innerText")
    shot(browser, "portfolio.png", tmp_path)
    assert serious(page.accessibility_violations(axe)) == []

    page.goto(f"{dashboard.url}/engagements/{two_customers['globex']}")
    assert page.js("document.querySelector('h1').innerText").startswith("Globex")
    for section in ("timeline", "burnup", "velocity", "workstreams", "raid", "activity"):
        assert visible(browser, f"#{section} h2"), section
    assert page.js("document.querySelector('#timeline svg').getBBox().width") > 500
    assert page.js("document.querySelectorAll('#timeline svg rect').length") >= 5
    assert page.js("document.querySelectorAll('#raid li a').length") == 3
    shot(browser, "engagement.png", tmp_path)
    assert serious(page.accessibility_violations(axe)) == []


def test_a_viewer_of_one_customer_sees_only_that_row_and_is_refused_the_other(
    dashboard: Dashboard, two_customers, browser: Browser
) -> None:
    assert sign_in_in_browser(browser, dashboard, "alice") == dashboard.url + "/"
    page = browser.page
    rows = page.js("[...document.querySelectorAll('tr.engagement')].map(r => r.dataset.project)")
    assert rows == ["acme/portal"]
    assert "Globex" not in page.js("document.body.innerText")
    page.goto(f"{dashboard.url}/engagements/{two_customers['globex']}")
    assert page.js("document.querySelector('h1').innerText") == "Not found"
    assert "Globex" not in page.js("document.body.innerText")
    landed = page.submit("document.querySelector('header form button').click()")
    assert landed == dashboard.url + "/auth/sign-out"
    assert page.goto(dashboard.url + "/").startswith(dashboard.sandbox.url + "/oauth/authorize?")
