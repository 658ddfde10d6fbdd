"""docs/partners.md is executable: every block marked ``<!-- example: NAME attrs -->`` runs
against a real registry (real broker, SQLite and PostgreSQL), so the guide cannot drift.

Marker attributes: ``file=F`` writes the block to F for the shell examples; ``run=bash
expect=CODE`` runs the block with bash (the registry's address substituted for
localhost:8001) and checks the HTTP status ``curl -i`` shows; ``response-of=NAME`` is the
documented answer of NAME, compared with the real one (values of "id" keys masked);
``event=TYPE`` is an inbound body of that event type. The Python Kafka example runs with
its ``BOOTSTRAP_SERVERS`` and ``TOPIC`` constants pointed at the test broker.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from sqlmodel import select

from services.registry.adapters.orm import CarerRow
from services.registry.bootstrap import Registry
from shared import topics
from shared.events import CloudEvent, parse_inbound
from tests.harness import REPO, eventually, produce

DOC = REPO / "docs" / "partners.md"
DOCUMENTED_BASE = "http://localhost:8001"
_BLOCK = re.compile(
    r"^<!-- example: (?P<name>[\w-]+)(?P<attrs>(?: [\w-]+=\S+)*) -->\n"
    r"```(?P<lang>\w+)\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Example:
    name: str
    lang: str
    code: str
    attrs: dict[str, str]


@cache
def examples() -> dict[str, Example]:
    found: dict[str, Example] = {}
    for match in _BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        attrs = dict(pair.split("=", 1) for pair in match["attrs"].split())
        assert match["name"] not in found, f"example {match['name']} is marked twice"
        found[match["name"]] = Example(match["name"], match["lang"], match["code"], attrs)
    return found


def answer_of(name: str) -> Any:
    return json.loads(
        next(e.code for e in examples().values() if e.attrs.get("response-of") == name)
    )


def masked(value: Any) -> Any:
    """Generated event ids differ on every run; everything else must match the guide."""
    if isinstance(value, dict):
        return {k: "<id>" if k == "id" else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


# --- the guide itself (no broker) -----------------------------------------------------------


def test_every_marker_heads_a_fenced_block_and_every_answer_has_its_example() -> None:
    text = DOC.read_text(encoding="utf-8")
    markers = [line for line in text.splitlines() if line.startswith("<!-- example: ")]
    assert len(examples()) == len(markers) >= 14
    runnable = {e.name for e in examples().values() if "run" in e.attrs}
    assert {"http-identification", "http-invalid", "fhir-message", "fhir-invalid"} <= runnable
    for example in examples().values():
        if example.lang == "json":
            json.loads(example.code)  # every JSON block is JSON
        if "run" in example.attrs:
            assert example.attrs["expect"].isdigit(), example.name
            answer_of(example.name)  # every run has its documented answer
        if "response-of" in example.attrs:
            assert example.attrs["response-of"] in runnable, example.name


def test_the_other_inbound_bodies_in_the_guide_are_valid_events() -> None:
    bodies = {e.attrs["event"]: e for e in examples().values() if "event" in e.attrs}
    assert set(bodies) == {"gp.carer_coded", "consent.updated", "carer.erasure_requested"}
    for event_type, example in bodies.items():
        event = CloudEvent.new(event_type, "ods:C82001", None, json.loads(example.code))
        parse_inbound(event.to_bytes())  # raises InvalidEvent naming the field if not


# --- running the examples -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def served(registry: Registry) -> AsyncIterator[str]:
    """The registry's app on a real port, so curl runs exactly as a partner would run it."""
    port = _free_port()
    config = uvicorn.Config(
        registry.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _started(server), timeout=20, interval=0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, 20)


async def _started(server: uvicorn.Server) -> bool:
    return server.started


async def run_shell(example: Example, workdir: Path, base_url: str, secret: str) -> tuple[int, Any]:
    """Run a documented shell block; the status line and JSON body ``curl -i`` printed."""
    assert DOCUMENTED_BASE in example.code, example.name
    for other in examples().values():
        if "file" in other.attrs:
            (workdir / other.attrs["file"]).write_text(other.code, encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO),
        "TOKEN_SECRET": secret,
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        example.code.replace(DOCUMENTED_BASE, base_url),
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    head, _, body = out.decode("utf-8").replace("\r\n", "\n").partition("\n\n")
    return int(head.split()[1]), json.loads(body)


async def run_as_documented(name: str, registry: Registry, served: str, workdir: Path) -> None:
    example = examples()[name]
    status, body = await run_shell(example, workdir, served, registry.settings.token_secret)
    assert status == int(example.attrs["expect"]), body
    assert masked(body) == masked(answer_of(name))


async def settled(check: Callable[[], Awaitable[dict[str, Any] | None]]) -> dict[str, Any]:
    """``eventually``, typed: the record once ``check`` finds it."""
    found = await eventually(check)
    assert found is not None
    return found


async def record(registry: Registry, nhs_number: str) -> dict[str, Any] | None:
    async with registry.runtime.sessions() as session:
        row = (
            await session.exec(select(CarerRow).where(CarerRow.nhs_number == nhs_number))
        ).first()
    return orjson.loads(row.document) if row else None


@pytest.mark.kafka
async def test_the_http_examples_run_as_documented(
    registry: Registry, served: str, tmp_path: Path
) -> None:
    await run_as_documented("http-identification", registry, served, tmp_path)
    await run_as_documented("http-invalid", registry, served, tmp_path)

    sent = json.loads(examples()["identification-body"].code)["person"]
    carer = await settled(lambda: record(registry, sent["nhs_number"]))
    assert (carer["given_name"], carer["family_name"]) == (sent["given_name"], sent["family_name"])
    assert [(s["kind"], s["org_code"]) for s in carer["sources"]] == [("gp", "C82001")]


@pytest.mark.kafka
async def test_the_fhir_examples_run_as_documented(
    registry: Registry, served: str, tmp_path: Path
) -> None:
    await run_as_documented("fhir-message", registry, served, tmp_path)
    await run_as_documented("fhir-invalid", registry, served, tmp_path)

    bundle = json.loads(examples()["fhir-bundle"].code)
    carer = await settled(lambda: record(registry, "9434765919"))
    assert [s["event_id"] for s in carer["sources"]] == [bundle["id"]]
    assert (carer["given_name"], carer["family_name"]) == ("Siân", "O'Connor-Smith")


@pytest.mark.kafka
async def test_the_kafka_example_and_the_other_events_run_as_documented(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    code = examples()["kafka-identification"].code
    code, servers = re.subn(
        r'^BOOTSTRAP_SERVERS = ".*"$', f"BOOTSTRAP_SERVERS = {kafka_bootstrap!r}", code, flags=re.M
    )
    code, topic = re.subn(
        r'^TOPIC = ".*"$', f"TOPIC = {namespace + topics.INBOUND!r}", code, flags=re.M
    )
    assert (servers, topic) == (1, 1)

    await asyncio.to_thread(
        exec, compile(code, "partners.md:kafka", "exec"), {"__name__": "__main__"}
    )

    carer = await settled(lambda: record(registry, "9434765919"))
    assert carer["given_name"] == "Siân" and carer["caring_for"][0]["relationship"] == "parent"

    async def send(name: str, key: str, **changes: str) -> None:
        example = examples()[name]
        event = CloudEvent.new(
            example.attrs["event"], "ods:C82001", key, json.loads(example.code) | changes
        )
        await produce(kafka_bootstrap, namespace + topics.INBOUND, [event.to_bytes()], key.encode())

    await send("gp-carer-coded", "9434765919")
    coded = await settled(lambda: _where(registry, lambda c: c.get("gp_coded")))
    assert coded["gp_coded"]["practice_ods_code"] == "C82001"
    await send("consent-updated", "9434765919")
    await eventually(
        lambda: _where(registry, lambda c: c["consent"]["share_with"] == ["gp", "council"])
    )
    await send("erasure-requested", carer["carer_id"], carer_id=carer["carer_id"])
    await eventually(lambda: _gone(registry))


async def _where(registry: Registry, check: Any) -> dict[str, Any] | None:
    carer = await record(registry, "9434765919")
    return carer if carer is not None and check(carer) else None


async def _gone(registry: Registry) -> bool:
    return await record(registry, "9434765919") is None
