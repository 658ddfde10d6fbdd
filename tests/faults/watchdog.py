"""Clean up after a fault-suite run that died without its teardown.

``python -m tests.faults.watchdog PARENT_PID HOME`` waits, in a session of its own, until
the process that started it (the test run) is gone; if ``HOME`` (the run's temporary
directory) is still there then, the run did not tear down (it was SIGKILLed, or CI's
``timeout`` ended it), so the watchdog kills the broker and the PostgreSQL cluster whose
state lives under ``HOME`` and deletes it. The services and provider stand-ins need no help:
they die with the test process (``PR_SET_PDEATHSIG``). PostgreSQL does: ``pg_ctl``
daemonises the postmaster. Only processes found through ``HOME``'s own pid files are
touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from pathlib import Path


def _cleanup(home: Path) -> None:
    from shared.kafka.local_broker import LocalKafka
    from shared.pgcluster import PgCluster

    with contextlib.suppress(Exception):
        LocalKafka(home / "kafka").kill()
    with contextlib.suppress(Exception):
        PgCluster(home / "pg" / "data").kill()
    shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str]) -> int:
    parent, home = int(argv[0]), Path(argv[1])
    while os.getppid() == parent and home.exists():
        time.sleep(1)
    if home.exists():
        print(f"fault-suite watchdog: run {parent} ended without teardown; cleaning {home}")
        _cleanup(home)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
