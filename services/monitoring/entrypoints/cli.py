"""``python -m services.monitoring rebuild``: the read model again, from offset 0.

Why a rebuild exists: the read model is derived, never the record. When a figure's
definition changes, or the read model is lost or suspected wrong, it is emptied, its
consumer groups go back to the earliest offsets still on the topics, and it consumes
everything again; the operational services are not touched and nothing is asked of them.
Run it with the monitoring service stopped (a consumer group with live members refuses to
be moved). It returns when the read model has caught up with the topics.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from services.monitoring.adapters import offsets
from services.monitoring.bootstrap import Monitoring, bootstrap
from services.monitoring.entrypoints import kafka
from services.monitoring.settings import MonitoringSettings
from shared.migrations import upgrade_async

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


async def rebuild(
    settings: MonitoringSettings, *, service: Monitoring | None = None, wait_seconds: float = 600
) -> str:
    """Empty the read model, reset the groups to the earliest offsets, consume to the end."""
    await upgrade_async(MIGRATIONS, settings.database_url)
    service = service or bootstrap(settings)
    async with service.unit_of_work() as uow:
        await uow.read_model.clear()
        await uow.commit()
    groups = kafka.groups(settings)
    partitions = await offsets.reset_to_earliest(settings, groups)
    started = time.monotonic()
    await service.runtime.start()
    try:
        while (behind := await offsets.lag(settings, groups)) > 0:
            if time.monotonic() - started > wait_seconds:
                raise TimeoutError(f"rebuild: still {behind} records behind after {wait_seconds}s")
            await asyncio.sleep(0.5)
        async with service.unit_of_work() as uow:
            facts = await uow.read_model.fact_count()
    finally:
        await service.runtime.stop()
    return (
        f"rebuilt the monitoring read model from offset 0: {partitions} partitions, "
        f"{facts} facts, {time.monotonic() - started:.1f}s"
    )
