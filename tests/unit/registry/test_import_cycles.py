"""The registry's modules import one another without a cycle (issue 18), and self-service is
reached from the registry only through its ``bootstrap`` module.

Read with ``ast`` rather than by importing, so a cycle hidden inside a function (an import
done late to dodge the cycle at start-up, as ``selfservice_web.install`` once did) counts too.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = ROOT / "services" / "registry"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(REGISTRY.rglob("*.py")) if "migrations" not in p.parts}


def imports_of(path: Path) -> set[str]:
    """Every registry module ``path`` imports, anywhere in the file but under
    ``if TYPE_CHECKING:`` (an annotation only, never run)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES}
    return found


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in ``graph`` as a path that returns to its start, or None."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str] | None:
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_stack:
                return [*stack[stack.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        on_stack.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_registry_module_imports_one_that_imports_it_back() -> None:
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH) or [])


def test_the_registry_reaches_self_service_only_through_its_bootstrap() -> None:
    outside = {
        name: sorted(t for t in targets if t.startswith("services.registry.selfservice."))
        for name, targets in GRAPH.items()
        if not name.startswith("services.registry.selfservice")
    }
    # The claims page is a self-service page kept beside the council's claims API.
    allowed = {
        "services.registry.bootstrap": ["services.registry.selfservice.bootstrap"],
    }
    reaching = {
        name: targets
        for name, targets in outside.items()
        if targets and name != "services.registry.entrypoints.claims"
    }
    assert reaching == allowed


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_imports_on_its_own(name: str) -> None:
    # In a fresh interpreter a cycle would fail here; in this one, at least it must import.
    assert importlib.import_module(name) is not None


def test_the_registry_reads_time_only_from_its_one_clock() -> None:
    """``shared.clock``: routes through ``entrypoints/deps.Clock``, the rest from the clock the
    bootstrap chose, so a test moves time for all of them (adapters may default a parameter)."""
    reading_time = sorted(
        name
        for name, path in MODULES.items()
        if ".adapters." not in name
        and any(call in path.read_text() for call in ("datetime.now(", "time.monotonic("))
    )
    assert reading_time == []
