"""The nine themes from the committee report (paragraph 22), with their cue patterns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.consultation.domain.themes import THEME_IDS


@dataclass(frozen=True)
class Theme:
    """A known theme: stable id, the label officers see, and the cues that hint at it."""

    id: str
    label: str
    description: str
    cues: tuple[re.Pattern[str], ...]


def build_themes(data: Mapping[str, Any]) -> tuple[Theme, ...]:
    """Themes from their definition, in the contract's order; all nine must be there."""
    themes = {}
    for entry in data["themes"]:
        cues = tuple(re.compile(r"(?<![a-z])" + cue) for cue in entry.get("cues", ()))
        themes[entry["id"]] = Theme(entry["id"], entry["label"], entry["description"], cues)
    missing = [t for t in THEME_IDS if t not in themes]
    extra = [t for t in themes if t not in THEME_IDS]
    if missing or extra:
        raise ValueError(f"themes: missing {missing}, unexpected {extra}")
    return tuple(themes[t] for t in THEME_IDS)
