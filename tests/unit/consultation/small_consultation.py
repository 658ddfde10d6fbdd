"""A small consultation definition with one question of every kind, for the rule tests.

Built here rather than loaded from the shipped YAML so a test states exactly which options,
rows and exclusive answers it relies on.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from services.consultation.domain.definition import Consultation, build_consultation

EQUALITY_SETS: dict[str, list[Mapping[str, Any]]] = {
    "standard": [
        {
            "id": "sex",
            "kind": "single",
            "text": "What is your sex?",
            "options": ["Female", "Male", "Prefer not to say"],
        },
        {
            "id": "carer_type",
            "kind": "multi",
            "text": "What kind of carer are you?",
            "options": ["Adult carer", "Young carer", "Former carer", "Prefer not to say"],
        },
    ]
}

DEFINITION: dict[str, Any] = {
    "slug": "small",
    "title": "A small consultation",
    "organisation": "Leicestershire County Council",
    "summary": "What we are asking",
    "easy_read_summary": "Easy words",
    "timezone": "Europe/London",
    "opens": "2026-06-08T09:00:00",
    "closes": "2026-07-31T23:59:00",
    "audiences": ["Carers", "Professionals"],
    "areas": ["Charnwood"],
    "interests": ["Respite"],
    "questions_reconstructed": True,
    "equality": "standard",
    "sections": [
        {
            "id": "main",
            "title": "Your views",
            "easy_read_title": "What you think",
            "questions": [
                {
                    "id": "a",
                    "number": "a",
                    "kind": "single",
                    "text": "How well does it fit?",
                    "hint": "Choose one",
                    "easy_read": "Does it fit?",
                    "options": ["Very well", "Fairly well", "Not at all"],
                },
                {
                    "id": "a_why",
                    "kind": "text",
                    "text": "Why do you say this?",
                    "follows": "a",
                },
                {
                    "id": "b",
                    "number": "b",
                    "kind": "matrix",
                    "text": "How important are these?",
                    "options": ["Very important", "Not important", "Don't know"],
                    "rows": [
                        {"id": "first", "text": "The first priority", "easy_read": "First"},
                        {"id": "second", "text": "The second priority"},
                    ],
                },
                {
                    "id": "c",
                    "number": "c",
                    "kind": "multi",
                    "text": "Which help do you use?",
                    "options": ["Respite", "Groups", "Advice", "None of these"],
                    "exclusive": ["None of these"],
                },
            ],
        },
        {
            "id": "about",
            "title": "About you",
            "questions": [
                {
                    "id": "respondent_type",
                    "kind": "single",
                    "respondent_type": True,
                    "text": "In what capacity are you responding?",
                    "options": ["As a carer", "As a professional"],
                }
            ],
        },
    ],
}


def definition() -> dict[str, Any]:
    """A fresh deep copy of :data:`DEFINITION`, safe to change in a test."""
    return copy.deepcopy(DEFINITION)


def small_consultation() -> Consultation:
    return build_consultation(definition(), EQUALITY_SETS)
