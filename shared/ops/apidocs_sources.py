"""Which topics a service publishes to, read from its code (``ast``), not declared by hand.

Split from :mod:`shared.ops.apidocs` (which re-exports these names). Services publish through
their outbox, not through FastStream publishers, so the sending side of each AsyncAPI document
is found here: calls that publish a ``topics.X`` constant, plus what the shared event
processor publishes (dead letters) when the service's ``bootstrap()`` builds one.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from shared import topics

REPO = Path(__file__).resolve().parents[2]
PUBLISH_CALLS = frozenset({"publish", "publish_raw", "publish_inbound", "send", "send_and_wait"})
"""Calls that put a message on a topic: the outbox (``uow.publish``), dead letters
(``uow.publish_raw``), HTTP ingest (``publish_inbound``) and raw producers."""


# -- who writes what, from the code ---------------------------------------------------------


PER_PARTNER_TABLES = frozenset({"GP_OUTBOUND"})
"""Tables in ``shared.topics`` mapping a partner to its own topic (one per organisation)."""


def _topic_constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(topics).items()
        if name.isupper() and isinstance(value, str) and value in topics.TOPIC_NAMES
    }


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _topics_published_in(tree: ast.AST, constants: Mapping[str, str]) -> set[str]:
    """Topics (``topics.X``) named in any function that also makes a publishing call."""
    found: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        nodes = list(ast.walk(function))
        if not any(isinstance(n, ast.Call) and _called_name(n) in PUBLISH_CALLS for n in nodes):
            continue
        for node in nodes:
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "topics"
                and node.attr in constants
            ):
                found.add(constants[node.attr])
            if (  # a per-partner table (topics.GP_OUTBOUND): the code publishes to each one
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "topics"
                and node.attr in PER_PARTNER_TABLES
            ):
                found.update(getattr(topics, node.attr).values())
    return found


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _uses_event_processor(service: str) -> bool:
    tree = _parse(REPO / "services" / service / "bootstrap.py")
    return any(
        isinstance(n, ast.Call) and _called_name(n) == "EventProcessor" for n in ast.walk(tree)
    )


@cache
def produced_topics(service: str) -> tuple[str, ...]:
    """Topics the service's code publishes to, sorted.

    Its own publishing calls, plus what ``shared.messaging.processor.EventProcessor``
    publishes (dead letters) when the service's ``bootstrap()`` builds one.
    """
    constants = _topic_constants()
    found: set[str] = set()
    for path in sorted((REPO / "services" / service).rglob("*.py")):
        if "migrations" not in path.parts:
            found |= _topics_published_in(_parse(path), constants)
    if _uses_event_processor(service):
        found |= _topics_published_in(
            _parse(REPO / "shared" / "messaging" / "processor.py"), constants
        )
    return tuple(sorted(found))
