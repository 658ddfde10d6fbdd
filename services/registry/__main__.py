"""``python -m services.registry [run|serve|migrate|republish-status|recategorise]``."""

from pathlib import Path

from services.registry.bootstrap import bootstrap
from services.registry.service_layer.handlers import recategorise_carers, republish_statuses
from services.registry.settings import RegistrySettings
from shared.service_main import main

MIGRATIONS = Path(__file__).parent / "migrations"


async def _with_registry(settings: RegistrySettings, job) -> int:  # type: ignore[no-untyped-def]
    registry = bootstrap(settings, consume=False)
    await registry.runtime.start()
    try:
        return int(await job(registry.unit_of_work, registry.app.state.clock.now()))
    finally:
        await registry.runtime.stop()  # drains the outbox before it returns


async def republish_status(settings: RegistrySettings) -> str:
    return f"republished {await _with_registry(settings, republish_statuses)} status snapshots"


async def recategorise(settings: RegistrySettings) -> str:
    return f"recategorised {await _with_registry(settings, recategorise_carers)} carers"


if __name__ == "__main__":
    main(
        "registry",
        RegistrySettings,
        lambda s: bootstrap(s).app,
        MIGRATIONS,
        commands={"republish-status": republish_status, "recategorise": recategorise},
    )
