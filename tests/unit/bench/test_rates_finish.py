"""A benchmark's rate is only reported when all its work finished (issue 18).

``bench/notifications.py`` used to poll a fixed number of times and then compute a rate
whatever the count was: a run whose messages never all went out still printed messages per
second. Its waits now go through ``bench.common.wait_until``, which fails loudly instead.
"""

from __future__ import annotations

import time

import pytest

from bench.common import Unfinished, wait_until


async def test_a_wait_that_runs_out_raises_naming_the_work_instead_of_returning() -> None:
    done = {"sent": 3}

    async def all_sent() -> bool:
        return done["sent"] >= 10

    began = time.monotonic()
    with pytest.raises(Unfinished, match="10 messages handed to Notify"):
        await wait_until(all_sent, 0.3, "10 messages handed to Notify", poll=0.01)
    assert time.monotonic() - began >= 0.3


async def test_a_wait_returns_as_soon_as_the_work_is_done() -> None:
    polls = {"n": 0}

    async def third_time() -> bool:
        polls["n"] += 1
        return polls["n"] >= 3

    await wait_until(third_time, 5, "work", poll=0.01)
    assert polls["n"] == 3
