"""An officer's sign-off of themes before they appear in any report.

The machine only *proposes*: each known theme it used and each new cluster it found is a
:class:`ProposedTheme` with status ``proposed``. An officer confirms it (optionally under a
new name), merges it into another theme, or rejects it. Only confirmed themes are reported,
counting the answers of any themes merged into them once each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Action = Literal["confirm", "rename", "merge", "reject"]
ACTIONS: tuple[str, ...] = ("confirm", "rename", "merge", "reject")


class IllegalDecision(ValueError):
    """A decision that cannot apply (merging into a rejected theme, a blank name...)."""


@dataclass
class ProposedTheme:
    """A theme awaiting or past sign-off; ``kind`` is "known" (paragraph 22) or "emergent"."""

    key: str
    kind: str
    label: str
    status: str = "proposed"
    merged_into: str | None = None
    decided_by: str | None = None

    @property
    def reportable(self) -> bool:
        return self.status == "confirmed"


def decide(
    themes: Mapping[str, ProposedTheme],
    key: str,
    action: str,
    *,
    by: str,
    label: str | None = None,
    into: str | None = None,
) -> ProposedTheme:
    """Apply an officer's decision to ``themes[key]`` (in place) and return it."""
    theme = themes.get(key)
    if theme is None:
        raise KeyError(key)
    if action not in ACTIONS:
        raise IllegalDecision(f"action: {action!r} is not one of {' | '.join(ACTIONS)}")
    if action == "rename" or (action == "confirm" and label is not None):
        if not label or not label.strip():
            raise IllegalDecision("label: enter the theme's new name")
        if len(label.strip()) > 120:
            raise IllegalDecision("label: must be 120 characters or fewer")
        theme.label = label.strip()
    if action in ("confirm", "rename"):
        theme.status, theme.merged_into = "confirmed", None
    elif action == "reject":
        theme.status, theme.merged_into = "rejected", None
    else:
        target = themes.get(into or "")
        if target is None:
            raise IllegalDecision(f"into: no theme {into!r} to merge into")
        if target.key == key:
            raise IllegalDecision("into: a theme cannot be merged into itself")
        if target.status in ("rejected", "merged"):
            raise IllegalDecision(
                f"into: {target.label!r} is {target.status}; merge into a live theme"
            )
        theme.status, theme.merged_into = "merged", target.key
        for other in themes.values():  # anything merged into this one follows it
            if other.merged_into == key:
                other.merged_into = target.key
    theme.decided_by = by
    return theme


def resolve(themes: Mapping[str, ProposedTheme], key: str) -> ProposedTheme | None:
    """The confirmed theme an assignment to ``key`` counts towards, if any."""
    seen: set[str] = set()
    theme = themes.get(key)
    while theme is not None and theme.status == "merged" and theme.key not in seen:
        seen.add(theme.key)
        theme = themes.get(theme.merged_into or "")
    return theme if theme is not None and theme.reportable else None


def report(
    themes: Mapping[str, ProposedTheme],
    assignments: Iterable[tuple[str, str, str]],
    answered: Mapping[str, int],
) -> dict[str, list[dict[str, object]]]:
    """Signed-off themes per free-text question: count of answers and percent of those answering.

    ``assignments`` are ``(answer_key, question_id, theme_key)``; an answer counts once per
    confirmed theme even when it had two themes that were merged into one.
    """
    answers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for answer_key, question_id, theme_key in assignments:
        theme = resolve(themes, theme_key)
        if theme is not None:
            answers[(question_id, theme.key)].add(answer_key)
    out: dict[str, list[dict[str, object]]] = {q: [] for q in answered}
    for (question_id, key), members in answers.items():
        total = answered.get(question_id, 0)
        out.setdefault(question_id, []).append(
            {
                "id": key,
                "label": themes[key].label,
                "kind": themes[key].kind,
                "count": len(members),
                "percent": round(100 * len(members) / total, 1) if total else 0.0,
            }
        )
    for rows in out.values():
        rows.sort(key=lambda r: (-int(r["count"]), str(r["label"])))  # type: ignore[call-overload]
    return out
