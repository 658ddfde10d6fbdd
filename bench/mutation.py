"""Mutation testing of the rules: the share of mutants the fast unit tests kill, per package.

A test suite can be green and still not check a rule: issue 18 found that the consultation's
small-number rule could publish a count of 4 with every test passing. Mutation testing finds
such holes by changing the code (``<`` to ``<=``, ``and`` to ``or``, a constant to another) and
running the tests against each change ("mutant"); a mutant no test notices "survives".

This command runs mutmut 3 (PyPI) over the domain packages (``services/*/domain`` and any
``services/*/*/domain``, e.g. the registry's self-service) and ``shared/events``, against
``tests/unit`` only, and prints a table of killed mutants per package.

It never mutates the working tree others are editing. It copies a snapshot (``HEAD`` by
default, or the working tree's files with ``--worktree``) into ``mutants/<name>/``
(git-ignored) and runs mutmut there; mutmut then makes its own ``mutants/`` copy inside
that snapshot. Each run starts from a fresh snapshot, so results never come from stale code.

    .venv/bin/python -m bench.mutation                      # every package, HEAD
    .venv/bin/python -m bench.mutation --package referrals  # one package
    .venv/bin/python -m bench.mutation --worktree --survivors  # uncommitted tests, diffs

mutmut's own configuration (which files, which tests) is ``[tool.mutmut]`` in pyproject.toml;
``--package`` narrows its ``only_mutate`` in the snapshot's copy. mutmut does not mutate
decorated functions (pydantic validators, properties) nor module-level constants.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The read-only reference folder beside the repository (seeds the consultation tests load).
REFERENCE = REPO.parent / "shared"
WORKDIR = REPO / "mutants"

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), grouped for the table.
KILLED = {1, 3}
SURVIVED = {0}
NO_TESTS = {5, 33}
TIMEOUT = {24, -24, 36, 152, 255}
NOT_CHECKED = {None}


@dataclass
class Score:
    """Mutants of one package by outcome; a timeout counts as detected (the test noticed)."""

    killed: int = 0
    timeout: int = 0
    survived: int = 0
    no_tests: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.killed + self.timeout + self.survived + self.no_tests + self.other

    @property
    def share(self) -> float:
        return (self.killed + self.timeout) / self.total if self.total else 1.0

    def add(self, exit_code: int | None) -> None:
        if exit_code in KILLED:
            self.killed += 1
        elif exit_code in TIMEOUT:
            self.timeout += 1
        elif exit_code in SURVIVED:
            self.survived += 1
        elif exit_code in NO_TESTS:
            self.no_tests += 1
        else:
            self.other += 1


def packages(root: Path) -> dict[str, list[str]]:
    """Each package's name and its mutmut glob: every domain folder, plus shared/events.

    Discovered, not listed, so a new service's domain (monitoring) is included when it lands.
    """
    found: dict[str, list[str]] = {}
    for domain in sorted(root.glob("services/*/domain")) + sorted(root.glob("services/*/*/domain")):
        relative = domain.relative_to(root)
        name = ".".join(relative.parts[1:-1])
        found[name] = [f"{relative.as_posix()}/*"]
    found["shared.events"] = ["shared/events/*"]
    return found


def package_of(source: str, globs: dict[str, list[str]]) -> str | None:
    """The package a source path belongs to (the longest matching folder wins)."""
    best: tuple[int, str] | None = None
    for name, patterns in globs.items():
        for pattern in patterns:
            folder = pattern.rstrip("*")
            if source.startswith(folder) and (best is None or len(folder) > best[0]):
                best = (len(folder), name)
    return best[1] if best else None


def snapshot(dest: Path, worktree: bool) -> str:
    """Copy the code to test into ``dest``; return what was copied (a commit or "worktree")."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    commit = _git("rev-parse", "--short", "HEAD").strip()
    if worktree:
        listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for name in sorted(set(filter(None, listed.split("\0")))):
            source = REPO / name
            if source.is_file() and not name.startswith("mutants/"):
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name)
        label = f"{commit}+worktree"
    else:
        with tempfile.TemporaryFile() as archive:
            subprocess.run(["git", "archive", "HEAD"], cwd=REPO, stdout=archive, check=True)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                tar.extractall(dest, filter="data")
        label = commit
    # Tests find the reference seeds at parents[4] of their file; inside mutmut's copy that
    # is the snapshot itself, so the seeds are linked there.
    if (REFERENCE / "seeds").is_dir():
        (dest / "shared" / "seeds").symlink_to(REFERENCE / "seeds")
    return label


def narrow(config_file: Path, globs: list[str]) -> None:
    """Point the snapshot's ``[tool.mutmut] only_mutate`` at the chosen packages only."""
    lines = config_file.read_text().splitlines()
    section = False
    for i, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip() == "[tool.mutmut]"
        elif section and line.startswith("only_mutate"):
            lines[i] = f"only_mutate = {json.dumps(globs)}"
            config_file.write_text("\n".join(lines) + "\n")
            return
    raise SystemExit("pyproject.toml has no [tool.mutmut] only_mutate line")


def retest_survivors(tree: Path, worktree: bool) -> str:
    """Bring the tests (not the code) of the last run up to date and forget its survivors'
    verdicts, so mutmut re-runs only those: minutes instead of a whole package's run.

    The code under test stays as it was mutated; the label says which tests were used.
    """
    fresh = tree.with_name(tree.name + ".tests")
    label = snapshot(fresh, worktree)
    config = tomllib.loads((fresh / "pyproject.toml").read_text())["tool"]["mutmut"]
    arguments = config.get("pytest_add_cli_args", [])
    ignored = [a.removeprefix("--ignore=") for a in arguments if a.startswith("--ignore=")]
    # Only test files the last run did not have are added: today's versions of the others
    # may need code the mutated snapshot predates. New files that cannot be collected
    # against the old code (they test something newer) are left out too.
    added = [
        path.relative_to(fresh).as_posix()
        for path in sorted((fresh / "tests").rglob("*.py"))
        if not (tree / path.relative_to(fresh)).exists()
        and path.relative_to(fresh).as_posix() not in ignored
    ]
    for name in added:
        for root in (tree, tree / "mutants"):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(fresh / name, root / name)
    shutil.rmtree(fresh)
    # A new file must pass against the snapshot's own (unmutated) code: one that tests
    # something newer would fail mutmut's clean run and stop the whole retest.
    for name in added:
        passed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", name],
            cwd=tree,
            capture_output=True,
            text=True,
        )
        if passed.returncode != 0:
            for root in (tree, tree / "mutants"):
                (root / name).unlink()
            print(f"fails against the snapshot's code (tests something newer), left out: {name}")
    for meta in (tree / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for name, code in codes.items():
            if code in SURVIVED or code in NO_TESTS:
                codes[name] = None
        meta.write_text(json.dumps(data, indent=4))
    # New tests must be traced to the functions they call: drop the stats so mutmut
    # collects them again.
    for stats in (tree / "mutants").glob("mutmut-stats.json"):
        stats.unlink()
    old = (tree / ".label").read_text() if (tree / ".label").exists() else "last run"
    label = f"{old}, survivors retested with the tests of {label}"
    (tree / ".label").write_text(label)
    return label


def run_mutmut(tree: Path, max_children: int) -> int:
    """Run mutmut in the snapshot, niced: two cores are shared with other engineers."""
    mutmut = Path(sys.executable).parent / "mutmut"
    command = ["nice", "-n", "10", str(mutmut), "run", "--max-children", str(max_children)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command, cwd=tree, env=env).returncode


def results(tree: Path) -> dict[str, dict[str, int | None]]:
    """Every mutant's exit code, by source file (from mutmut's ``.meta`` files)."""
    found: dict[str, dict[str, int | None]] = {}
    base = tree / "mutants"
    for meta in sorted(base.rglob("*.py.meta")):
        source = meta.relative_to(base).as_posix().removesuffix(".meta")
        found[source] = json.loads(meta.read_text())["exit_code_by_key"]
    return found


def table(scores: dict[str, Score], label: str) -> str:
    """The per-package table, as Markdown (printed, and pasted into docs/mutation.md)."""
    rows = [
        f"Mutants killed by tests/unit, per package ({label})",
        "",
        "| package | mutants | killed | timeout | survived | no tests | killed % |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in sorted(scores.items()):
        rows.append(
            f"| {name} | {s.total} | {s.killed} | {s.timeout} | {s.survived} | "
            f"{s.no_tests} | {100 * s.share:.1f} |"
        )
    return "\n".join(rows)


def survivors(by_file: dict[str, dict[str, int | None]]) -> Iterable[tuple[str, str]]:
    """(source file, mutant name) of every mutant that no test noticed."""
    for source, codes in by_file.items():
        for name, code in codes.items():
            if code in SURVIVED or code in NO_TESTS:
                yield source, name


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mutation", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--package", action="append", help="one package (repeatable), e.g. referrals, shared.events"
    )
    parser.add_argument(
        "--worktree", action="store_true", help="test the working tree's files, not HEAD"
    )
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutants (default 2)")
    parser.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    parser.add_argument("--report-only", action="store_true", help="re-print the last run's table")
    parser.add_argument(
        "--retest-survivors",
        action="store_true",
        help="keep the last run's mutants; re-run only its survivors against today's tests",
    )
    parser.add_argument(
        "--minimum", type=float, default=0.0, help="fail below this killed %% in any package"
    )
    args = parser.parse_args(argv)

    known = packages(REPO)
    chosen = args.package or sorted(known)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        parser.error(f"--package: unknown {unknown}; known: {sorted(known)}")
    tree = WORKDIR / "_".join(chosen) if args.package else WORKDIR / "all"

    if args.report_only:
        label = (tree / ".label").read_text() if (tree / ".label").exists() else "last run"
    elif args.retest_survivors:
        label = retest_survivors(tree, args.worktree)
        code = run_mutmut(tree, args.max_children)
        if code != 0:
            print(f"mutmut exited with {code}", file=sys.stderr)
            return code
    else:
        label = snapshot(tree, args.worktree)
        (tree / ".label").write_text(label)
        narrow(tree / "pyproject.toml", [glob for name in chosen for glob in known[name]])
        code = run_mutmut(tree, args.max_children)
        if code != 0:
            print(f"mutmut exited with {code}", file=sys.stderr)
            return code

    # Group by the snapshot's own folders: HEAD may lack a package the working tree has.
    every = {**known, **packages(tree)}
    by_file = results(tree)
    scores: dict[str, Score] = {name: Score() for name in chosen}
    for source, codes in by_file.items():
        name = package_of(source, every)
        if name in scores:
            for exit_code in codes.values():
                scores[name].add(exit_code)
    print(table(scores, label))
    if args.survivors:
        mutmut = Path(sys.executable).parent / "mutmut"
        per_file = Counter(source for source, _ in survivors(by_file))
        for source, name in survivors(by_file):
            print(f"\n## {name}  ({per_file[source]} in {source})")
            shown = subprocess.run(
                [str(mutmut), "show", name], cwd=tree, capture_output=True, text=True
            )
            print(shown.stdout.strip())
    below = [name for name, s in scores.items() if 100 * s.share < args.minimum]
    return 1 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
