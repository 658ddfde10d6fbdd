"""Property-based API tests from each service's own OpenAPI (schemathesis, from PyPI).

For every operation each service documents, schemathesis generates requests from the
schema (valid ones, and invalid ones in its negative mode) and sends them to the service
running as its own process, signed in as council staff. Two things must hold for every
answer: no 5xx, and a documented answer matches the schema it is documented with.

The number of examples per operation is bounded (``SCHEMATHESIS_EXAMPLES``, default 15) so
the four services take a few minutes on two cores; failures are collected per operation
and reported together, each with the request that caused it.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.security.conftest import SERVICES, Stack

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [not_a_server_error, response_schema_conformance]


def _run_operation(
    operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str]
) -> str | None:
    """Generate and send ``EXAMPLES`` requests for one operation; the failure, if any."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    try:
        run()
    except Unsatisfiable:
        return None  # nothing valid to generate for this operation (not a defect of ours)
    except Exception as failure:  # a FailureGroup, with the request as curl
        return f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}"
    return None


@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_answers_500_or_breaks_its_documented_schema(
    stack: Stack, service: str
) -> None:
    base_url = stack.url(service)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    headers = stack.headers("council", "LCC")
    started = time.monotonic()
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # a schema schemathesis cannot read is itself a failure
            failures.append(f"unreadable operation: {result.err()}")
            continue
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _run_operation(operation, mode, base_url, headers)
            if failure:
                failures.append(failure)
    took = time.monotonic() - started
    print(
        f"schemathesis {service}: {operations} operations, {EXAMPLES} valid and {EXAMPLES} "
        f"invalid examples each, {took:.0f} s"
    )
    assert operations > 0
    assert not failures, "\n\n".join(failures)
