"""What every benchmark needs: a broker, a PostgreSQL database, identities, figures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from shared.events import CloudEvent, is_valid_nhs_number
from shared.kafka.admin import ensure_topics
from shared.kafka.local_broker import LocalKafka
from shared.topics import namespaced

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def kafka() -> Iterator[str]:
    """KAFKA_BOOTSTRAP_SERVERS if set, else a fresh local broker for this run."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    broker = LocalKafka(Path(tempfile.mkdtemp(prefix="bench-kafka-")))
    broker.start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@contextlib.contextmanager
def postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster (fsync on: honest figures), or None without binaries."""
    from shared.pgcluster import PgBinariesNotFound, PgCluster

    try:
        home = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        home.chmod(0o755)  # initdb runs as the postgres user when we are root
        cluster = PgCluster(home / "data")
        cluster.init()
    except PgBinariesNotFound:
        yield None
        return
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


class Unfinished(RuntimeError):
    """A benchmark's work did not all finish in time: no rate may be reported for it."""


async def wait_until(
    done: Callable[[], Awaitable[bool]], timeout: float, what: str, poll: float = 0.05
) -> None:
    """Poll ``done`` until it is true; raise :class:`Unfinished` naming ``what`` if
    ``timeout`` seconds pass first.

    Why: a rate computed after a wait that simply ran out divides the work asked for by the
    time waited, and reports work that never happened as done (issue 18).
    """
    deadline = time.monotonic() + timeout
    while not await done():
        if time.monotonic() >= deadline:
            raise Unfinished(f"{what}: not finished within {timeout:.0f} s")
        await asyncio.sleep(poll)


def namespace(bootstrap: str, name: str) -> str:
    ns = f"bench{int(time.time())}{name}."
    ensure_topics(bootstrap, namespaced(ns))
    return ns


def nhs_numbers(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        candidate = "9" + "".join(str(rng.randrange(10)) for _ in range(9))
        if is_valid_nhs_number(candidate):
            seen.add(candidate)
    return sorted(seen)


def identification(nhs_number: str, index: int) -> CloudEvent:
    """A realistic identification of about 1 KB."""
    return CloudEvent.new(
        "carer.identified",
        "ods:C82001",
        nhs_number,
        {
            "identified_by": {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"},
            "person": {
                "nhs_number": nhs_number,
                "given_name": f"Carer{index}",
                "family_name": "O'Connor-Smith",
                "date_of_birth": "1968-04-12",
                "postcode": "LE1 6ZG",
                "email": f"carer{index}@example.org",
                "mobile": "07700900123",
            },
            "caring_for": [
                {
                    "relationship": "parent",
                    "needs": ["dementia", "physical_disability"],
                    "lives_with_carer": False,
                }
            ],
            "preferences": {
                "contact_channels": ["sms", "email"],
                "easy_read": False,
                "language": "en",
            },
            "consent": {
                "share_with": ["gp", "council", "vasl"],
                "contact": True,
                "recorded_at": "2026-03-01T10:00:00Z",
            },
            "support_requested": ["carers_assessment", "vasl_support"],
            "story": "I look after my mum most evenings and weekends. She has dementia and "
            "needs help with washing, meals and her medicines. I work full time and I am "
            "tired; I would like someone to talk to and a break now and then. " * 2,
        },
    )


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def report(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    figures = {"benchmark": name, "cpu": cpu_model(), "cores": os.cpu_count(), **figures}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2))
    return path


def bench_database(cluster: Any, name: str) -> tuple[str, str]:
    """(URL, label) of a fresh database for a benchmark: PostgreSQL, else a SQLite file."""
    if cluster is not None:
        cluster.create_database(name)
        return cluster.url(name), "PostgreSQL"
    return f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/{name}.db", "SQLite"


def start_service(
    service: str, bootstrap: str, ns: str, database_url: str, port: int
) -> tuple[subprocess.Popen[bytes], Path]:
    """``python -m services.<service> serve`` as its own process, logging to a file."""
    prefix = service.upper()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_TOPIC_NAMESPACE": ns,
        f"{prefix}_DATABASE_URL": database_url,
        f"{prefix}_HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "KAFKA_BATCH_SIZE": os.environ.get("KAFKA_BATCH_SIZE", "500"),
    }
    log = Path(tempfile.mkdtemp()) / f"{service}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", f"services.{service}", "serve"],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, log


async def wait_healthy(ports: list[int], tries: int = 300) -> None:
    """Until each service answers ``/health`` with 200 (or ``tries`` polls 0.2 s apart)."""
    async with httpx.AsyncClient() as client:
        for port in ports:
            for _ in range(tries):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
