"""The world a fault scenario runs in, every part a process this suite owns.

- :class:`Infra` (one per test session): a real Kafka broker (``LocalKafka``) and a real
  PostgreSQL cluster with fsync on, both on free ports on 127.0.0.1, in a temporary
  directory. Scenarios kill, pause and restart them; the next scenario gets them back up.
- :class:`Stack` (one per scenario): a fresh topic namespace and one database per service,
  the SMTP sink and the Notify stub as their own processes, and the registry, referrals and
  notifications services as processes (``python -m services.<name> serve``). A supervisor
  restarts any service instance that dies, as an orchestrator would; a failpoint armed for a
  service (``CARERS_FAILPOINTS``) is passed to its next starts, so it kills itself there.

Why processes rather than services in the test's event loop: SIGKILL, SIGSTOP and a consumer
group that sees a member vanish are only real with real processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from shared import topics
from shared.devservers.notify_model import DEV_API_KEY, EMAIL_TEMPLATE_ID, SMS_TEMPLATE_ID
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade_async
from shared.topics import TopicSpec, namespaced
from tests.faults.infra import Infra
from tests.faults.processes import OwnedProcess

log = logging.getLogger(__name__)

SERVICES = ("registry", "referrals", "notifications")
CALLBACK_TOKEN = "fault-suite-callback-token-0123456789abcdef"
SESSION_TIMEOUT_MS = 6000  # a dead or frozen member loses its partitions in ~6 s


@dataclass
class Instance:
    """One running copy of a service."""

    service: str
    index: int
    process: OwnedProcess
    retired: bool = False  # scaled down on purpose: the supervisor leaves it stopped
    last_cpu: float = 0.0  # CPU seconds at the last sample: psutil cannot read the dead


@dataclass
class Deaths:
    """Instances that died without being asked to, by service: their exit codes."""

    codes: dict[str, list[int | None]] = field(default_factory=dict)

    def add(self, service: str, code: int | None) -> None:
        self.codes.setdefault(service, []).append(code)

    def count(self, service: str | None = None) -> int:
        if service is None:
            return sum(len(c) for c in self.codes.values())
        return len(self.codes.get(service, []))

    def summary(self) -> str:
        return ", ".join(
            f"{s} {len(c)}x{sorted(str(code) for code in set(c))}" for s, c in self.codes.items()
        )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())[:16] or "s"


class Stack:
    """The three services, the SMTP sink and the Notify stub for one scenario."""

    def __init__(
        self,
        infra: Infra,
        name: str,
        workdir: Path,
        *,
        topic_configs: dict[str, dict[str, str]] | None = None,
        env: dict[str, str] | None = None,
        service_env: dict[str, dict[str, str]] | None = None,
        restart_delay: float = 0.5,
        receipts: bool = False,
    ) -> None:
        self.infra, self.name, self.workdir = infra, name, workdir
        self.slug = f"{_slug(name)}{uuid.uuid4().hex[:6]}"
        self.namespace = f"{self.slug}."
        self._topic_configs = topic_configs or {}
        self._env = env or {}
        self._service_env = service_env or {}
        self._restart_delay = restart_delay
        self._receipts = receipts
        self.instances: dict[str, list[Instance]] = {s: [] for s in SERVICES}
        self.armed: dict[str, list[str]] = {s: [] for s in SERVICES}
        self.deaths = Deaths()
        self.starts: Counter[str] = Counter()
        self.smtp: OwnedProcess | None = None
        self.notify: OwnedProcess | None = None
        self.smtp_port, self.smtp_http_port, self.notify_port = free_ports(3)
        self._supervisor: asyncio.Task[None] | None = None
        self._halted: list[Instance] = []
        self.cpu_seconds: dict[str, float] = dict.fromkeys(SERVICES, 0.0)  # ended instances
        self.peak_rss_mb: dict[str, float] = {}

    # -- names ----------------------------------------------------------------------------

    def topic(self, name: str) -> str:
        return self.namespace + name

    def database(self, service: str) -> str:
        return f"{self.slug}_{service}"

    def dsn(self, service: str) -> str:
        return self.infra.dsn(self.database(service))

    def groups(self) -> dict[str, list[str]]:
        """Each consumer group of the stack and the topics it reads (see the entrypoints)."""
        ns = self.namespace
        return {
            f"{ns}carers-registry": [self.topic(topics.INBOUND)],
            f"{ns}carers-registry-referrals": [self.topic(topics.REFERRALS)],
            f"{ns}carers-referrals": [self.topic(topics.REGISTRY)],
            f"{ns}carers-notifications": [
                self.topic(topics.REGISTRY),
                self.topic(topics.REFERRALS),
            ],
        }

    @property
    def smtp_url(self) -> str:
        return f"http://127.0.0.1:{self.smtp_http_port}"

    @property
    def notify_url(self) -> str:
        return f"http://127.0.0.1:{self.notify_port}"

    # -- lifecycle ------------------------------------------------------------------------

    def arm(self, service: str, failpoint: str, times: int = 1) -> None:
        """The next ``times`` starts of ``service`` run with ``CARERS_FAILPOINTS=failpoint``."""
        self.armed[service].extend([failpoint] * times)

    async def start(self, instances: dict[str, int] | None = None) -> None:
        specs = []
        for spec in namespaced(self.namespace):
            extra = self._topic_configs.get(spec.name.removeprefix(self.namespace), {})
            specs.append(TopicSpec(spec.name, spec.partitions, {**spec.config, **extra}))
        await asyncio.to_thread(self.infra.create_topics, specs, self.namespace)
        await self._create_databases()
        self._start_devservers()
        for service in SERVICES:
            for _ in range((instances or {}).get(service, 1)):
                self._add_instance(service)
        waits = [self.smtp, self.notify] + [i.process for s in SERVICES for i in self.instances[s]]
        await asyncio.gather(*(p.wait_healthy() for p in waits if p is not None))
        self._supervisor = asyncio.create_task(self._supervise(), name=f"supervise-{self.name}")

    async def _create_databases(self) -> None:
        from services.notifications.__main__ import MIGRATIONS as NOTIFICATIONS
        from services.referrals.__main__ import MIGRATIONS as REFERRALS
        from services.registry.__main__ import MIGRATIONS as REGISTRY

        migrations = {"registry": REGISTRY, "referrals": REFERRALS, "notifications": NOTIFICATIONS}
        for service in SERVICES:
            await asyncio.to_thread(self.infra.pg.create_database, self.database(service))
            url = self.infra.pg.url(self.database(service))
            await upgrade_async(migrations[service], url)

    def _start_devservers(self) -> None:
        self.smtp = OwnedProcess.python_module(
            "smtp-sink",
            "shared.devservers.smtp_sink",
            ["--smtp-port", str(self.smtp_port), "--http-port", str(self.smtp_http_port)],
            {},
            self.workdir / "smtp_sink.log",
            port=self.smtp_http_port,
            health_path="/messages?to=nobody",
        )
        self.notifications_port = free_ports(1)[0]
        # Delivery receipts are opt-in: the stub opens a new HTTP client per receipt, which
        # at thousands a minute slows its own answers until sends time out.
        callback = f"http://127.0.0.1:{self.notifications_port}/notifications/receipts"
        receipts = ["--callback-url", callback, "--callback-token", CALLBACK_TOKEN]
        self.notify = OwnedProcess.python_module(
            "notify-stub",
            "shared.devservers.notify_stub",
            [
                "--port", str(self.notify_port), "--rate-limit", "0",
                *(receipts if self._receipts else []),
            ],
            {},
            self.workdir / "notify_stub.log",
            port=self.notify_port,
            health_path="/_stub/notifications?reference=none",
        )  # fmt: skip
        self.smtp.start()
        self.notify.start()

    def service_env(self, service: str, port: int) -> dict[str, str]:
        upper = service.upper()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.infra.bootstrap,
            "KAFKA_TOPIC_NAMESPACE": self.namespace,
            "KAFKA_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
            f"{upper}_DATABASE_URL": self.infra.pg.url(self.database(service)),
            f"{upper}_HTTP_PORT": str(port),
            "OUTBOX_POLL_SECONDS": "0.2",
            "LOG_LEVEL": "WARNING",
            "CARERS_ENV": "test",
        }
        if service == "notifications":
            env |= {
                "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
                "NOTIFICATIONS_SMTP_PORT": str(self.smtp_port),
                "NOTIFICATIONS_SMTP_LOOKUP_URL": self.smtp_url,
                "NOTIFY_BASE_URL": self.notify_url,
                "NOTIFY_API_KEY": DEV_API_KEY,
                "NOTIFY_EMAIL_TEMPLATE_ID": EMAIL_TEMPLATE_ID,
                "NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE_ID,
                "NOTIFY_RATE_PER_MINUTE": "0",
                "NOTIFY_TIMEOUT_SECONDS": "2",
                # Quiet hours off: the suite may run at night, and held texts would look lost.
                "NOTIFICATIONS_QUIET_HOURS_START": "00:00",
                "NOTIFICATIONS_QUIET_HOURS_END": "00:00",
                "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.2",
                "NOTIFICATIONS_RETRY_CAP_SECONDS": "2",
                "NOTIFICATIONS_DISPATCH_POLL_SECONDS": "0.2",
                "NOTIFICATIONS_CALLBACK_TOKEN": CALLBACK_TOKEN,
                "NOTIFICATIONS_PUBLIC_URL": "http://127.0.0.1:8003",
            }
        env |= self.infra.client_env(service)
        return env | self._env | self._service_env.get(service, {})

    def _add_instance(self, service: str) -> Instance:
        index = len(self.instances[service])
        port = (
            self.notifications_port
            if service == "notifications" and index == 0
            else free_ports(1)[0]
        )
        process = OwnedProcess.python_module(
            f"{service}-{index}",
            f"services.{service}",
            ["serve"],
            self.service_env(service, port),
            self.workdir / f"{service}-{index}.log",
            port=port,
        )
        instance = Instance(service, index, process)
        self.instances[service].append(instance)
        self._launch(instance)
        return instance

    def _launch(self, instance: Instance) -> None:
        armed = self.armed[instance.service]
        extra = {"CARERS_FAILPOINTS": armed.pop(0)} if armed else {}
        instance.process.start(extra)
        self.starts[instance.service] += 1

    def _sample(self, instance: Instance) -> None:
        cpu, rss = instance.process.usage()
        if cpu:
            instance.last_cpu = cpu
            peak = self.peak_rss_mb.get(instance.service, 0.0)
            self.peak_rss_mb[instance.service] = max(peak, rss)

    def _account(self, instance: Instance) -> None:
        """Bank the CPU time of an instance that ends (psutil cannot read it afterwards)."""
        self._sample(instance)
        self.cpu_seconds[instance.service] += instance.last_cpu
        instance.last_cpu = 0.0

    async def _supervise(self) -> None:
        """Restart instances that died (SIGKILL by a failpoint or by a scenario)."""
        while True:
            await asyncio.sleep(0.25)
            for service in SERVICES:
                for instance in self.instances[service]:
                    if instance.retired:
                        continue
                    if instance.process.alive():
                        self._sample(instance)
                        continue
                    self._account(instance)
                    self.deaths.add(service, instance.process.returncode)
                    log.warning("%s died (%s); restarting", instance.process.label,
                                instance.process.returncode)  # fmt: skip
                    await asyncio.sleep(self._restart_delay)
                    self._launch(instance)

    def kill(self, service: str, index: int = 0) -> None:
        """SIGKILL one instance; the supervisor restarts it."""
        instance = self.instances[service][index]
        self._account(instance)
        instance.process.kill()

    async def scale(self, service: str, count: int) -> None:
        """Run ``count`` instances of ``service``: start new ones, or stop the newest (SIGTERM)."""
        live = [i for i in self.instances[service] if not i.retired]
        for instance in live[count:]:
            instance.retired = True
            self._account(instance)
            await asyncio.to_thread(instance.process.stop)
        for _ in range(count - len(live)):
            await self._add_instance(service).process.wait_healthy()

    def halt(self) -> None:
        """SIGKILL every service instance and keep them down (the supervisor leaves them)."""
        for service in SERVICES:
            for instance in self.instances[service]:
                if not instance.retired:
                    instance.retired = True
                    self._account(instance)
                    instance.process.kill()
                    self._halted.append(instance)

    async def relaunch(self) -> None:
        """Start every instance :meth:`halt` stopped, and wait until each answers."""
        started = []
        for instance in self._halted:
            instance.retired = False
            self._launch(instance)
            started.append(instance.process)
        self._halted = []
        await asyncio.gather(*(p.wait_healthy() for p in started))

    def usage(self) -> dict[str, tuple[float, float]]:
        """(CPU seconds, peak resident MB) per service, including instances that ended."""
        out = {}
        for service in SERVICES:
            for instance in self.instances[service]:
                if instance.process.alive():
                    self._sample(instance)
            cpu = self.cpu_seconds[service] + sum(i.last_cpu for i in self.instances[service])
            out[service] = (cpu, self.peak_rss_mb.get(service, 0.0))
        return out

    async def close(self, *, drop: bool = True) -> None:
        """Stop every process of the stack and drop its databases."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        for service in SERVICES:
            for instance in self.instances[service]:
                instance.process.kill()
        for process in (self.smtp, self.notify):
            if process is not None:
                process.kill()
        if drop and self.infra.pg.is_running():
            for service in SERVICES:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.infra.pg.drop_database, self.database(service))

    # -- observing ------------------------------------------------------------------------

    async def query(self, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Run one read on a service's database (a fresh connection: PostgreSQL may restart)."""
        connection = await asyncpg.connect(self.dsn(service), timeout=5)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    async def scalar(self, service: str, sql: str, *args: Any) -> Any:
        rows = await self.query(service, sql, *args)
        return rows[0][0] if rows else None
