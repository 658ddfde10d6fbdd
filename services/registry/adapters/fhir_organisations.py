"""Organisations in a FHIR message, by ODS code: who sent it, and the carer's GP practice.

Split from ``adapters.fhir`` (which reads what the Bundle says about the carer). An
organisation reference names its ODS code one of three ways, and NHS England's systems use
all of them: an ``identifier`` on the reference (PDS's ``Patient.generalPractitioner``), a
reference to an ``Organization`` in the Bundle carrying the ODS identifier (UK Core
messages), or a reference into the ODS directory (``.../Organization/<code>``).

- The **sender** (``MessageHeader.sender``) must be the caller's own organisation: 403 if it
  names another (``sender``).
- The **GP practice** (``Patient.generalPractitioner``, issue 17) is optional: the first
  reference that names an organisation by ODS code is the practice the carer is registered
  with; references to a Practitioner or PractitionerRole are passed over (a person is not a
  practice). A malformed ODS code is a 422 naming the element.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from services.registry.adapters.fhir_structure import FhirRejected, Issue

ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
LEGACY_ODS_SYSTEM = "https://digital.nhs.uk/services/organisation-data-service"
"""The ODS identifier system PDS still writes on ``generalPractitioner`` (its published
Patient example); the same codes as :data:`ODS_CODE`."""
ODS_SYSTEMS = (ODS_CODE, LEGACY_ODS_SYSTEM)
SPINE_DIRECTORY = "https://directory.spineservices.nhs.uk/"
"""The ODS directory: a sender reference ``<directory>/.../Organization/<ODS code>`` names it."""
ODS_PATTERN = re.compile(r"^[A-Za-z0-9]{3,10}$")
HISTORY = re.compile(r"/_history/[^/]+$")

Fail = Callable[[str, str, str], None]
"""``fail(issue_type, text, fhirpath)``: report one problem (``adapters.fhir``'s translator)."""


def _bundle_organisation(reference: Any, entries: Sequence[Any]) -> Any:
    """The Bundle entry an organisation reference points to, if any."""
    if not getattr(reference, "reference", None):
        return None
    return next((e for e in entries if e.is_referenced_by(reference)), None)


def _directory_code(reference: Any) -> str | None:
    target = getattr(reference, "reference", None) or ""
    if target.startswith(SPINE_DIRECTORY) and "/Organization/" in target:
        return HISTORY.sub("", target).rsplit("/", 1)[-1]
    return None


def read_sender(
    header: Any, entries: Sequence[Any], org: str, fail: Fail
) -> tuple[str | None, str | None]:
    """The sender's ODS code and name; 403 when it is not the organisation of the caller's
    token (``org``)."""
    if header is None:
        return None, None
    reference = header.resource.sender
    at = f"{header.path}.sender"
    identifier, name = getattr(reference, "identifier", None), None
    target_path = f"{at}.identifier"
    if identifier is None and getattr(reference, "reference", None):
        entry = _bundle_organisation(reference, entries)
        if entry is not None and entry.kind == "Organization":
            identifiers = enumerate(entry.resource.identifier or [])
            found = [(k, i) for k, i in identifiers if i.system == ODS_CODE]
            identifier = found[0][1] if found else None
            target_path = f"{entry.path}.identifier[{found[0][0] if found else 0}]"
            name = entry.resource.name
        elif (code := _directory_code(reference)) is not None:
            return _sender_code(
                code, f"{at}.reference", getattr(reference, "display", None), org, fail
            )
    if identifier is None or identifier.system != ODS_CODE or not identifier.value:
        text = (
            f"the sender needs an ODS code: an identifier with system {ODS_CODE}, or a "
            "reference to an Organization in this Bundle carrying one"
        )
        fail("required", text, target_path if name is not None else at)
        return None, None
    display = getattr(reference, "display", None) or name
    return _sender_code(identifier.value, f"{target_path}.value", display, org, fail)


def _sender_code(
    value: str, at: str, display: str | None, org: str, fail: Fail
) -> tuple[str | None, str | None]:
    if not ODS_PATTERN.match(value):
        fail("value", "is not an ODS code (3 to 10 letters and digits)", at)
        return None, None
    code = value.upper()
    if code != org.upper():
        text = f"the message says it is from {code} but your token is for {org}"
        raise FhirRejected(403, [Issue("forbidden", text, at)])
    return code, display


def registered_practice(patient: Any, entries: Sequence[Any], fail: Fail) -> tuple[str, str] | None:
    """The carer's GP practice from ``Patient.generalPractitioner``: (ODS code, FHIRPath of
    the element it came from), or None when no reference names an organisation."""
    for k, reference in enumerate(patient.resource.generalPractitioner or []):
        at = f"{patient.path}.generalPractitioner[{k}]"
        identifier = getattr(reference, "identifier", None)
        if identifier is not None and identifier.system in ODS_SYSTEMS and identifier.value:
            return _practice_code(identifier.value, f"{at}.identifier.value", fail)
        entry = _bundle_organisation(reference, entries)
        if entry is not None and entry.kind == "Organization":
            for j, found in enumerate(entry.resource.identifier or []):
                if found.system in ODS_SYSTEMS and found.value:
                    return _practice_code(found.value, f"{entry.path}.identifier[{j}].value", fail)
        code = _directory_code(reference)
        if code is not None:
            return _practice_code(code, f"{at}.reference", fail)
    return None


def _practice_code(value: str, at: str, fail: Fail) -> tuple[str, str] | None:
    if not ODS_PATTERN.match(value.strip()):
        fail("value", "the GP practice is not an ODS code (3 to 10 letters and digits)", at)
        return None
    return value.strip().upper(), at
