"""The benchmark ladder: from the disk and the raw broker up to the whole chain, in one run.

    .venv/bin/python -m bench.ladder [--events 20000] [--carers 2000] [--profile] [--cluster]

One broker and one PostgreSQL cluster (fsync on) for every rung, the same ~1 KB events
throughout. For each rung: the most it does (events/s), end-to-end p50/p99 latency when fed
at 50% and 90% of that, CPU microseconds per event for each process involved, and its ratio
to the raw Kafka ceiling. Then light load (50 identifications/s): identification to status
snapshot, and to the notification handed to the provider; and each service's peak resident
memory. ``--profile`` samples each service with py-spy during the chain's maximum run and
prints where its time goes. Figures go to ``bench/results/ladder.json``.

``--cluster`` climbs the raw, registry and chain rungs twice in one run: on the single
broker, then on the secured three-node cluster (TLS, SCRAM-SHA-512, ACLs, replication 3,
``min.insync.replicas=2``) with every client as its own principal (the GP practice writes to
its own inbound topic; each service is ``carers-<service>``), and prints both side by side.

Why a ladder: a single end-to-end number says the chain is slow, not why. Each rung's ratio
to the one below shows which layer costs what (the framework, validation, the transaction,
the service's own logic, the hops between services).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import cpu_model, report
from bench.ladder_steps import (
    Payload,
    Rung,
    SubscriberProcess,
    fsync_rate,
    identifications,
    percentiles,
    produce,
    read_topic,
)
from shared import topics
from shared.topics import namespaced
from tests.faults.cluster import Infra, Stack
from tests.faults.secured import SecuredInfra

log = logging.getLogger("bench.ladder")
LIGHT_RATE = 50.0
LATENCY_SECONDS = 10.0
SERVICES = ("registry", "referrals", "notifications")


def fresh_namespace(infra: Infra, name: str) -> str:
    ns = f"ladder{int(time.time() * 1000) % 10**9}{name}."
    infra.create_topics(namespaced(ns), ns)
    return ns


def paced_count(rate: float) -> int:
    return max(int(rate * LATENCY_SECONDS), 200)


# -- rungs 2-5 ----------------------------------------------------------------------------------


async def raw_rung(infra: Infra, events: int) -> Rung:
    """The ceiling: a plain aiokafka consumer in its own process, fed by this one, with the
    same warm-up and measurement as the subscriber rungs (fair ratios, issue 18)."""
    what = "aiokafka produce -> consume (separate processes), acks=all, idempotent"
    return await subscriber_rung(infra, "raw", events, what)


async def subscriber_rung(
    infra: Infra, mode: str, events: int, what: str, database: str | None = None
) -> Rung:
    rung = Rung(mode, what, events)
    bootstrap = infra.bootstrap
    ns = fresh_namespace(infra, mode)
    url = None
    if database is not None:
        infra.pg.create_database(database)
        url = infra.pg.url(database)
    inbound, partner = infra.inbound()
    client = infra.client_options(partner)
    env = infra.client_env("registry")
    child = SubscriberProcess(mode, bootstrap, ns, url, topic=inbound, env=env)
    try:
        await child.ready()
        topic = ns + inbound
        await child.count(client, topic, identifications(10**6, 200), None)  # warm up
        payloads = identifications(0, events)
        result = await child.count(client, topic, payloads, None)
        rung.per_second = result["per_second"]
        rung.cpu_us_per_event[mode] = result["cpu_seconds"] / events * 1e6
        rung.rss_mb[mode] = result["rss_mb"]
        offset = events
        for share in (0.5, 0.9):
            rate = share * rung.per_second
            chunk = identifications(offset, paced_count(rate))
            offset += len(chunk)
            if mode == "transact":
                stamps = await produce_and_wait(child, client, topic, chunk, rate)
                latencies = await outbox_latencies(client, ns, chunk, stamps)
            else:
                latencies = (await child.count(client, topic, chunk, rate))["latencies_ms"]
            rung.latency[f"{int(share * 100)}%"] = percentiles(latencies)
    finally:
        child.stop()
    return rung


async def produce_and_wait(
    child: SubscriberProcess,
    client: dict[str, Any],
    topic: str,
    chunk: Sequence[Payload],
    rate: float,
) -> dict[bytes, int]:
    """Like ``child.count``, keeping each input's CreateTime for the join with the output."""
    assert child.process.stdin is not None
    child.process.stdin.write(f"{len(chunk)}\n")
    child.process.stdin.flush()
    await child._line(30)
    stamps = await produce(client, topic, chunk, rate)
    await child._line()
    return {key: stamp for (key, _), stamp in zip(chunk, stamps, strict=True)}


async def outbox_latencies(
    client: dict[str, Any], ns: str, chunk: Sequence[Payload], stamps: dict[bytes, int]
) -> list[float]:
    """Input CreateTime to the output event's CreateTime (set when the relay sent it)."""
    out = await read_topic(client, ns + topics.REGISTRY)
    first: dict[bytes, int] = {}
    for record in out:
        if record.key in stamps:
            first.setdefault(record.key, record.timestamp)
    return [float(first[k] - stamps[k]) for k in stamps if k in first]


# -- rungs 6-7: services as processes --------------------------------------------------------


async def wait_for(
    connections: dict[str, Any], checks: dict[str, str], want: int, timeout: float = 1800
) -> None:
    """Until each service's count query reaches ``want`` and every outbox is empty.

    Polled every 50 ms on connections kept open: opening one per poll would itself load
    PostgreSQL and skew the figures."""
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    outbox = -1
    while time.monotonic() < deadline:
        counts = {s: await connections[s].fetchval(q) for s, q in checks.items()}
        if all(n >= want for n in counts.values()):
            outbox = sum(
                [await c.fetchval("SELECT count(*) FROM outbox") for c in connections.values()]
            )
            if outbox == 0:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"not done within {timeout:.0f} s: {counts}, outbox {outbox}")


class ServiceBench:
    """A stack of services under test, fed identifications, timed until all is done."""

    def __init__(self, infra: Infra, name: str, services: Sequence[str]) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"ladder-{name}-"))
        self.stack = Stack(infra, name, self.workdir)
        self.services = services
        self.offset = 0
        self.stamps: dict[str, int] = {}  # nhs number -> CreateTime of its identification
        count = "SELECT count(*) FROM notifications WHERE status IN ('sent', 'delivered')"
        self.checks = {"registry": "SELECT count(*) FROM carers"}
        self.per_carer = 1
        if "notifications" in services:
            self.checks = {"notifications": count}
            self.per_carer = 2  # a VASL referral and a carers assessment: two messages

    async def start(self) -> None:
        import asyncpg

        await self.stack.start({s: int(s in self.services) for s in SERVICES})
        self.connections = {s: await asyncpg.connect(self.stack.dsn(s)) for s in self.services}

    async def feed(self, count: int, rate: float | None) -> float:
        """Send ``count`` new carers (paced, or as fast as possible); seconds until done."""
        chunk = identifications(self.offset, count)
        self.offset += count
        inbound, partner = self.stack.infra.inbound()
        client = self.stack.infra.client_options(partner)
        began = time.perf_counter()
        stamps = await produce(client, self.stack.topic(inbound), chunk, rate)
        self.stamps.update({k.decode(): s for (k, _), s in zip(chunk, stamps, strict=True)})
        await wait_for(self.connections, self.checks, self.per_carer * self.offset)
        return time.perf_counter() - began

    def cpu(self) -> dict[str, float]:
        return {s: cpu for s, (cpu, _rss) in self.stack.usage().items() if s in self.services}

    async def latencies(self, nhs_numbers: set[str]) -> dict[str, list[float]]:
        """Identification to status snapshot (v1), and to each notification handed over."""
        rows = await self.stack.query("registry", "SELECT carer_id, nhs_number FROM carers")
        carer_nhs = {r["carer_id"]: r["nhs_number"] for r in rows if r["nhs_number"] in nhs_numbers}
        status: dict[str, int] = {}
        # Nobody of ours reads the status topic (partners do): on the cluster, the admin does.
        oracle = self.stack.infra.client_options()
        for record in await read_topic(oracle, self.stack.topic(topics.STATUS)):
            carer_id = record.key.decode() if record.key else ""
            if carer_id in carer_nhs:
                status.setdefault(carer_id, record.timestamp)
        out: dict[str, list[float]] = {
            "status": [
                float(status[c] - self.stamps[n]) for c, n in carer_nhs.items() if c in status
            ]
        }
        if "notifications" in self.services:
            sent = await self.stack.query(
                "notifications",
                "SELECT carer_id, sent_at FROM notifications WHERE sent_at IS NOT NULL",
            )
            out["notification"] = [
                r["sent_at"].timestamp() * 1000 - self.stamps[carer_nhs[r["carer_id"]]]
                for r in sent
                if r["carer_id"] in carer_nhs
            ]
        return out

    async def close(self) -> None:
        for connection in getattr(self, "connections", {}).values():
            with contextlib.suppress(Exception):
                await connection.close()
        await self.stack.close()


async def service_rung(
    infra: Infra, name: str, what: str, services: Sequence[str], carers: int, profile: bool
) -> tuple[Rung, dict[str, Any]]:
    bench = ServiceBench(infra, name, services)
    rung = Rung(name, what, carers, unit="carers/s" if name == "chain" else "events/s")
    light: dict[str, Any] = {}
    try:
        await bench.start()
        await bench.feed(100, None)  # warm up: connections, caches, the consumer groups
        cpu_before = bench.cpu()
        profiling = start_profiles(bench.stack, services) if profile else {}
        elapsed = await bench.feed(carers, None)
        rung.notes.extend(finish_profiles(profiling))
        rung.per_second = carers / elapsed
        cpu_after = bench.cpu()
        rung.cpu_us_per_event = {
            s: (cpu_after[s] - cpu_before.get(s, 0)) / carers * 1e6 for s in services
        }
        for share in (0.5, 0.9):
            rate = share * rung.per_second
            first = bench.offset
            await bench.feed(paced_count(rate), rate)
            batch = {n for n in list(bench.stamps)[first:]}
            found = await bench.latencies(batch)
            key = "notification" if "notification" in found else "status"
            rung.latency[f"{int(share * 100)}%"] = percentiles(found[key])
        first = bench.offset
        await bench.feed(int(LIGHT_RATE * 20), LIGHT_RATE)
        found = await bench.latencies({n for n in list(bench.stamps)[first:]})
        light = {kind: percentiles(values) for kind, values in found.items()}
        rung.rss_mb = {s: rss for s, (_cpu, rss) in bench.stack.usage().items() if s in services}
    finally:
        await bench.close()
    return rung, light


# -- profiling ---------------------------------------------------------------------------------


def start_profiles(stack: Stack, services: Sequence[str]) -> dict[str, tuple[Any, Path]]:
    """py-spy sampling each service process until stopped (raw collapsed stacks)."""
    spy = Path(sys.executable).with_name("py-spy")
    running = {}
    for service in services:
        pid = stack.instances[service][0].process.pid
        out = stack.workdir / f"{service}.pyspy.txt"
        process = subprocess.Popen(
            [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "100",
             "--nonblocking", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        running[service] = (process, out)
    return running


def finish_profiles(running: dict[str, tuple[Any, Path]]) -> list[str]:
    """Stop py-spy (SIGINT makes it write its file) and say where each service's time went."""
    import signal

    lines: list[str] = []
    for service, (process, out) in running.items():
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(30)
        lines.extend(f"{service} profile: {line}" for line in summarise_profile(out))
    return lines


def summarise_profile(path: Path, top: int = 8) -> list[str]:
    """Where a service's samples were: by the innermost frame of our own code (services/,
    shared/, not counting the entry point), by the package of the innermost frame (what is
    actually on the CPU), and by that frame itself."""
    ours: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            leaves[_frame(frames[-1])] += n
            packages[_package(frames[-1])] += n
            mine = next((f for f in reversed(frames) if _ours(f)), None)
            ours[_frame(mine) if mine else "(event loop, framework and libraries)"] += n
    if not total:
        return ["no samples (py-spy could not attach?)"]
    out = [f"{total} samples; by our innermost function:"]
    out += [f"  {n / total:6.1%} {name}" for name, n in ours.most_common(top)]
    out += ["by package on the CPU:"]
    out += [f"  {n / total:6.1%} {name}" for name, n in packages.most_common(top)]
    out += ["by innermost frame:"]
    out += [f"  {n / total:6.1%} {name}" for name, n in leaves.most_common(top)]
    return out


def _package(frame: str) -> str:
    """The top-level package (or stdlib module) a frame's file belongs to."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    if name.rsplit(".", 1)[-1] in ("select", "poll", "readinto", "recv", "wait", "_worker"):
        return "waiting (I/O, threads, idle loop)"
    head = path.split("/")[0].removesuffix(".py")
    return head or "?"


def _ours(frame: str) -> bool:
    """A frame in this project's code, other than the process's entry point."""
    where = frame.partition(" (")[2]
    path = where.rsplit(":", 1)[0]
    if path.endswith(("__main__.py", "shared/service_main.py")):
        return False
    return path.startswith(("services/", "shared/")) or "/services/" in path or "/shared/" in path


def _frame(frame: str) -> str:
    """``function (path/to/module.py:line)`` shortened to ``function (module.py)``."""
    name, _, where = frame.partition(" (")
    module = where.rstrip(")").rsplit(":", 1)[0]
    short = "/".join(module.split("/")[-2:])
    return f"{name} ({short})"


# -- the run -----------------------------------------------------------------------------------


def print_rungs(rungs: list[Rung], light: dict[str, Any], fsync: float) -> None:
    print(f"\nCPU: {cpu_model()} ({os.cpu_count()} cores); disk: {fsync:,.0f} fsyncs/s of 1 KB")
    print(
        f"{'rung':9} {'rate':>10} {'unit':9} {'vs raw':>7}  {'p50/p99 ms @50%':>16}  "
        f"{'p50/p99 ms @90%':>16}  CPU µs per event"
    )
    for rung in rungs:
        cells = []
        for share in ("50%", "90%"):
            figures = rung.latency.get(share, {})
            cells.append(f"{_ms(figures.get('p50_ms'))}/{_ms(figures.get('p99_ms'))}")
        cpu = ", ".join(f"{k} {v:,.0f}" for k, v in rung.cpu_us_per_event.items())
        ratio = f"{rung.ratio_to_raw:.1%}" if rung.ratio_to_raw is not None else "-"
        print(
            f"{rung.name:9} {rung.per_second:10,.0f} {rung.unit:9} {ratio:>7}  "
            f"{cells[0]:>16}  {cells[1]:>16}  {cpu}"
        )
    for rung in rungs:
        if rung.rss_mb:
            memory = ", ".join(f"{k} {v:.0f} MB" for k, v in rung.rss_mb.items())
            print(f"{rung.name}: peak resident memory {memory}")
        for note in rung.notes:
            print(note)
    for kind, figures in light.items():
        print(f"light load ({LIGHT_RATE:.0f}/s): identification -> {kind}: "
              f"p50 {_ms(figures['p50_ms'])} ms, p99 {_ms(figures['p99_ms'])} ms")  # fmt: skip


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


async def climb(
    infra: Infra, events: int, carers: int, profile: bool, *, full: bool = True
) -> tuple[list[Rung], dict[str, Any], dict[str, Any]]:
    """The rungs on ``infra``'s Kafka (every rung, or with ``full=False`` only raw, registry
    and chain); (rungs, light load through the chain, light load through the registry)."""
    raw = await raw_rung(infra, events)
    rungs = [raw]
    if full:
        rungs.append(await subscriber_rung(infra, "noop", events, "FastStream subscriber, no-op"))
        rungs.append(
            await subscriber_rung(infra, "validate", events, "+ CloudEvent and body validation")
        )
        rungs.append(await subscriber_rung(
            infra, "transact", events // 2,
            "+ one PostgreSQL transaction per batch: inbox, one outbox row per event, relay",
            database=f"ladder_transact_{int(time.time())}",
        ))  # fmt: skip
    registry, light_registry = await service_rung(
        infra, "registry", "registry service process (matching, record, 2 events out)",
        ["registry"], events // 2, profile,
    )  # fmt: skip
    rungs.append(registry)
    chain, light = await service_rung(
        infra, "chain", "identification -> referral -> notification handed to provider",
        list(SERVICES), carers, profile,
    )  # fmt: skip
    rungs.append(chain)
    for rung in rungs:
        rung.ratio_to_raw = rung.per_second / raw.per_second
    return rungs, light, light_registry


async def on(
    infra: Infra, events: int, carers: int, profile: bool, *, full: bool = True
) -> tuple[list[Rung], dict[str, Any], dict[str, Any]]:
    """:func:`climb` with ``infra`` started for it and stopped afterwards."""
    infra.start()
    try:
        return await climb(infra, events, carers, profile, full=full)
    finally:
        infra.stop()


def print_side_by_side(single: list[Rung], cluster: list[Rung]) -> None:
    print("\nthe same rungs on the single broker and on the secured cluster")
    print(f"{'rung':9} {'single broker':>14} {'vs raw':>7} {'secured cluster':>16} {'vs raw':>7} "
          f"{'cluster/single':>15}  unit")  # fmt: skip
    for one, three in zip(single, cluster, strict=True):
        print(
            f"{one.name:9} {one.per_second:14,.0f} {one.ratio_to_raw or 0:7.1%} "
            f"{three.per_second:16,.0f} {three.ratio_to_raw or 0:7.1%} "
            f"{three.per_second / one.per_second:15.1%}  {one.unit}"
        )


async def main(events: int, carers: int, profile: bool, cluster: bool) -> dict[str, Any]:
    load_before = os.getloadavg()
    home = Path(tempfile.mkdtemp(prefix="ladder-"))
    os.chmod(home, 0o755)  # initdb runs as the postgres user when we are root
    infra = Infra(home / "single")
    fsync = await asyncio.to_thread(fsync_rate, home)
    rungs, light, light_registry = await on(infra, events, carers, profile, full=not cluster)
    print_rungs(rungs, light, fsync)
    figures: dict[str, Any] = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "fsync_per_second": round(fsync),
        "rungs": [r.as_dict() for r in rungs],
        "light_load": {"rate_per_second": LIGHT_RATE, **light},
        "light_load_registry_only": light_registry,
    }
    if cluster:
        print("\n-- the secured three-node cluster (each client its own principal) --")
        secured, light, _ = await on(SecuredInfra(home / "secured"), events, carers, profile,
                                     full=False)  # fmt: skip
        print_rungs(secured, light, fsync)
        print_side_by_side(rungs, secured)
        figures["cluster_rungs"] = [r.as_dict() for r in secured]
        figures["cluster_light_load"] = {"rate_per_second": LIGHT_RATE, **light}
    # Other work on the machine skews every figure: the 1-minute load average before and
    # after the run says how much there was (2 cores: 2.0 is fully busy).
    figures["load_average_before_after"] = [round(load_before[0], 1), round(os.getloadavg()[0], 1)]
    path = report("ladder_cluster" if cluster else "ladder", figures)
    print(f"load average before/after: {figures['load_average_before_after']}")
    print(f"written to {path}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=20_000, help="events for rungs 2-4 (5 and 6 take half)"
    )
    parser.add_argument("--carers", type=int, default=2_000, help="carers through the whole chain")
    parser.add_argument("--profile", action="store_true", help="py-spy the services in rungs 6-7")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="raw, registry and chain on the single broker and on the secured cluster",
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(arguments.events, arguments.carers, arguments.profile, arguments.cluster))
