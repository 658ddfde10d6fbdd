"""FHIR's own structure: is it an R4 message Bundle at all, and how problems are answered.

Split from ``adapters.fhir`` (which reads what the Bundle *says*): the R4B models check the
structure (``400`` when they reject it), a ``modifierExtension`` anywhere is refused (FHIR
requires a receiver to refuse what it does not understand there), and every problem becomes
an OperationOutcome issue naming the element by FHIRPath.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError

MAX_ISSUES = 100
_OBJECT = ("structure", "must be a JSON object (a FHIR complex type)")
# pydantic error types from fhir.resources, as (IssueType, plain English).
_STRUCTURE_ERRORS = {
    "missing": ("required", "is required"),
    "model_field_validation.missing": ("required", "is required"),
    "extra_forbidden": ("structure", "is not an element of this resource in FHIR R4"),
    "list_type": ("structure", "must be a JSON array"),
    "json_invalid": _OBJECT,
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "fhir-validation-wrong-resource-type": ("structure", "is the wrong resource type here"),
}


@dataclass(frozen=True)
class Issue:
    """One problem. ``code`` is a FHIR IssueType; ``expression`` a FHIRPath to the element."""

    code: str
    diagnostics: str
    expression: str | None = None
    details: dict[str, Any] | None = None


class FhirRejected(Exception):
    """The message cannot be accepted; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__("; ".join(issue.diagnostics for issue in issues))
        self.status = status
        self.issues = issues

    @property
    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)


def operation_outcome(issues: Iterable[Issue], severity: str = "error") -> dict[str, Any]:
    """An OperationOutcome built (and so checked) by fhir.resources, as JSON-ready data."""
    listed = [
        {"severity": severity, "code": issue.code, "diagnostics": issue.diagnostics}
        | ({"expression": [issue.expression]} if issue.expression else {})
        | ({"details": issue.details} if issue.details else {})
        for issue in list(issues)[:MAX_ISSUES]
    ]
    outcome = {"resourceType": "OperationOutcome", "issue": listed}
    return OperationOutcome.model_validate(outcome).model_dump(mode="json", exclude_none=True)


def modifier_extensions(element: Any, path: str) -> Iterable[Issue]:
    """Every ``modifierExtension``: FHIR requires a receiver to refuse what it does not
    understand there (it may reverse the element's meaning), and we understand none."""
    if isinstance(element, dict):
        for key, value in element.items():
            if key == "modifierExtension" and value:
                urls = [e.get("url") for e in value if isinstance(e, dict)] or ["?"]
                text = f"{path} has a modifierExtension this receiver does not understand"
                yield Issue("not-supported", f"{text} ({', '.join(map(str, urls))})", path)
            else:
                yield from modifier_extensions(value, f"{path}.{key}")
    elif isinstance(element, list):
        for i, item in enumerate(element):
            yield from modifier_extensions(item, f"{path}[{i}]")


def parse_bundle(payload: Any) -> Bundle:
    """FHIR's own structure, checked by the R4B models; ``FhirRejected(400)`` otherwise."""
    got = payload.get("resourceType") if isinstance(payload, dict) else type(payload).__name__
    if got != "Bundle":
        text = f'expected a FHIR Bundle (resourceType "Bundle"), got {got!r}'
        raise FhirRejected(400, [Issue("structure", text)])
    issues = list(_resource_type_issues(payload))
    if issues:
        raise FhirRejected(400, issues)
    try:
        return Bundle.model_validate(payload)
    except ValidationError as exc:
        raise FhirRejected(400, [_structure_issue(e) for e in exc.errors()]) from None
    except (KeyError, ValueError, TypeError) as exc:  # unknown types deeper down, e.g. contained
        text = f"not a valid FHIR R4 Bundle: {exc}"
        raise FhirRejected(400, [Issue("structure", text, "Bundle")]) from None


def _resource_type_issues(payload: dict[str, Any]) -> Iterable[Issue]:
    """Entries without a known resourceType, which fhir.resources reports confusingly."""
    entries = payload.get("entry")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else ""
        where = f"Bundle.entry[{i}].resource"
        if kind is None:
            yield Issue("required", f"{where} needs a resourceType", where)
        elif kind:
            try:
                get_fhir_model_class(str(kind))
            except (KeyError, ValueError):
                yield Issue("structure", f"{where} has {kind!r}: not a FHIR resource type", where)


def _fhirpath(loc: Iterable[int | str]) -> str:
    path = "Bundle"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "root" and "[" not in part:
            path += "." + ("resourceType" if part == "resource_type" else part)
    return path


def _structure_issue(error: Any) -> Issue:
    code, text = _STRUCTURE_ERRORS.get(error["type"], ("value", ""))
    text = text or str(error["msg"]).removeprefix("Value error, ")
    return Issue(code, f"{_fhirpath(error['loc'])} {text}", _fhirpath(error["loc"]))
