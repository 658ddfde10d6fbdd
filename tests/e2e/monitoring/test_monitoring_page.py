"""The council's monitoring page in headless Chromium, with the keyboard only: sign in,
choose a year and a filter, show the figures; every table has its chart beside it with a
text alternative, and axe-core finds no WCAG 2.2 AA violation (issue 17)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from services.monitoring.__main__ import MIGRATIONS
from services.monitoring.bootstrap import bootstrap
from services.monitoring.settings import MonitoringSettings
from shared.auth import mint_token
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade
from tests.e2e.referrals.conftest import _wait, run
from tests.fixtures.browser import assert_accessible
from tests.harness import create_topics, new_namespace
from tests.integration.monitoring.known_events import known_events, publish

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def site(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('monitoring')}/site.db"
    migrate = threading.Thread(target=upgrade, args=(MIGRATIONS, database))
    migrate.start()  # its own thread: alembic's env runs its own event loop
    migrate.join()
    settings = MonitoringSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_namespace=namespace,
        database_url=database,
    )
    run(publish(kafka_bootstrap, namespace, known_events()))
    port = free_ports(1)[0]
    server = uvicorn.Server(
        uvicorn.Config(bootstrap(settings).app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="monitoring-site", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    council = mint_token(settings.token_secret, "council", "LCC")

    def counted() -> bool:
        answer = httpx.get(
            f"{url}/monitoring/figures.json?year=2025/26",
            headers={"Authorization": f"Bearer {council}"},
            timeout=5,
        )
        tables = {t["id"]: t for t in answer.json()["tables"]} if answer.status_code == 200 else {}
        return bool(tables) and tables["messages"]["rows"][1]["values"][0] == 5

    _wait(counted, "the known events counted")
    yield {"url": url, "council": council, "gp": mint_token(settings.token_secret, "gp", "C82001")}
    server.should_exit = True
    thread.join(30)


def tab_to(tab: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if tab.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_council_staff_read_the_figures_with_the_keyboard_only(
    page: Any, site: dict[str, str]
) -> None:
    page.goto(f"{site['url']}/monitoring?year=2025/26")
    assert "/staff/sign-in" in page.url
    assert_accessible(page)
    tab_to(page, "#token")
    page.keyboard.type(site["council"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text().startswith("Carers strategy figures: ")
    tab_to(page, "#year")
    while page.locator("#year").input_value() != "2025/26":
        page.keyboard.press("ArrowDown")
    tab_to(page, "button.govuk-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Carers strategy figures: 2025/26"
    assert_accessible(page)

    tables = page.locator("main table")
    charts = page.locator("main svg[role=img]")
    assert tables.count() == charts.count() > 10, "every chart beside its table"
    for i in range(charts.count()):
        described = charts.nth(i).locator("desc").text_content()
        assert described, "a chart without a text alternative"
    identified = page.locator("section[aria-labelledby=figure-identified] table").inner_text()
    assert "New carers\t13" in identified and "fewer than 5" in identified

    tab_to(page, "#category")
    page.keyboard.press("ArrowDown")  # young carer
    tab_to(page, "button.govuk-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "category=young_carer" in page.url
    assert page.locator("#category").input_value() == "young_carer"
    by_category = page.locator("section[aria-labelledby=figure-identified-by-category] table")
    assert "adult carer\t0" in by_category.inner_text()
    assert_accessible(page)

    tab_to(page, "a[href^='/monitoring/figures.csv']")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href.startswith("/monitoring/figures.csv?") and "category=young_carer" in href


def test_other_roles_are_refused_the_figures(page: Any, site: dict[str, str]) -> None:
    cookie = {"name": "carers_staff_token", "value": site["gp"], "url": site["url"]}
    page.context.add_cookies([cookie])
    answer = page.goto(f"{site['url']}/monitoring")
    assert answer is not None and answer.status == 403
    assert page.locator("h1").inner_text() == "You cannot see this page"
    assert_accessible(page)
