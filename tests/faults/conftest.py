"""The fault suite: its marker, its own broker and PostgreSQL, and a summary of the counts.

Run it on its own: ``scripts/test tests/faults`` (or ``-m faults``). A plain ``scripts/test``
skips it, saying how to run it, because it takes many minutes: every scenario drives
``FAULT_EVENTS`` (default 10,000) events through three services as separate processes.

Knobs (environment): ``FAULT_EVENTS`` inbound events per scenario; ``FAULT_RATE`` events per
second the partners send at (default 500); ``FAULT_SETTLE_SECONDS`` how long the chain may
take to settle after the last send (default 300); ``FAULT_SCENARIO_SECONDS`` the hard limit
on one scenario, start to verdict (default 900); ``CARERS_FAULTS=1`` runs the suite even
when not selected explicitly. At the defaults the eleven single-broker scenarios take about 11
minutes on two quiet cores (up to 25 loaded), the five on the secured cluster about 8 more
(the quorum-loss one 281 s on a heavily loaded machine); CI runs them as its second step
(``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.checks import VERDICTS
from tests.faults.cluster import Infra

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: fault-injection scenarios (own broker, PostgreSQL and processes)"
    )


def _selected(config: pytest.Config) -> bool:
    """True when the run asked for the fault suite: its path, ``-m faults`` or the env."""
    if os.environ.get("CARERS_FAULTS") == "1" or "faults" in (config.option.markexpr or ""):
        return True
    for arg in config.args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in Path(str(item.path)).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.faults)
        item.add_marker(pytest.mark.kafka)
        item.add_marker(pytest.mark.postgres)
    if not _selected(config):
        skip = pytest.mark.skip(reason="fault suite runs on its own: scripts/test tests/faults")
        for item in ours:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not VERDICTS:
        return
    terminalreporter.section("fault scenarios: sent, processed, lost, duplicated")
    for verdict in VERDICTS:
        terminalreporter.write_line(("PASS " if verdict.ok else "FAIL ") + verdict.headline())
        for tally in verdict.tallies:
            terminalreporter.write_line("       " + tally.line())
        for note in verdict.notes:
            terminalreporter.write_line("       " + note)
        if verdict.failure:
            terminalreporter.write_line("       FAILED: " + verdict.failure)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """A broker and a PostgreSQL cluster owned by this session, on free ports."""
    try:
        from shared.pgcluster import find_bin_dir

        find_bin_dir()
    except Exception as error:  # the suite needs PostgreSQL; say so rather than fail oddly
        pytest.skip(f"PostgreSQL server binaries not found: {error}")
    home = Path(tempfile.mkdtemp(prefix="carers-faults-"))
    world = Infra(home)
    try:
        world.start()
        yield world
    finally:
        world.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def events() -> int:
    return int(os.environ.get("FAULT_EVENTS", "10000"))
