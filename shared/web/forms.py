"""Form errors in the shape the GOV.UK error summary and error messages need.

A :class:`FieldError` names the field in the API's terms (``answers.a``) and the id of the
HTML control it belongs to (``q-a``), so one validation result serves both a 422 JSON body
and the error summary, whose links must move focus to the control at fault.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: ``field`` for APIs, ``control_id`` for the page."""

    field: str
    message: str
    control_id: str = ""

    def as_detail(self) -> dict[str, object]:
        """The FastAPI-style 422 detail entry: ``loc`` is the dotted field path."""
        return {"loc": ["body", *self.field.split(".")], "msg": self.message, "type": "invalid"}


def error_summary_items(errors: list[FieldError]) -> list[dict[str, str]]:
    """``errorList`` for the error summary macro: text and a link to the control."""
    return [
        {"text": error.message, "href": f"#{error.control_id}" if error.control_id else ""}
        for error in errors
    ]


def errors_by_control(errors: list[FieldError]) -> dict[str, str]:
    """The first message for each control, for the inline error message beside it."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.control_id, error.message)
    return found
