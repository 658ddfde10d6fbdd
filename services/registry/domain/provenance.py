"""Who may say what about a carer (contract section 6, docs/trust.md): provenance rules.

Pure: no I/O. Three questions, one place each, used by every entrypoint:

- Over HTTP and FHIR, is the identification the caller's own? The recorded source (envelope
  ``source``, ``identified_by.kind`` and ``org_code``) must be the caller's token, never what
  the body says (:func:`credited`, :func:`provenance_refusal`).
- On Kafka, may this writer use this source? Only the registry itself may speak for the carer
  (source ``urn:carers:selfservice`` or kind ``self``): it proves it with an HMAC it adds to
  what it writes, the ``carersattestation`` extension (:class:`Attestor`,
  :func:`kafka_refusal`).
- Is a consent's ``recorded_at`` believable? One in the future would pin the record against
  every later change (``domain.consent.check_recorded_at``, on the same ``CLOCK_SKEW``).

Reasons name the field and the rule, never the value (dead-letter readers need no personal
data, and an attacker learns nothing from the answer).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

SELF_SOURCE = "urn:carers:selfservice"
"""The CloudEvents ``source`` of what a carer tells us through the self-service pages."""

PLATFORM_PREFIX = "urn:carers:"
ATTESTATION = "carersattestation"
"""The CloudEvents extension attribute carrying the registry's HMAC."""

KIND_OF_ROLE = {"gp": "gp", "hospital": "hospital", "council": "council", "vasl": "vasl"}
"""The ``identified_by.kind`` each partner role records; a role not here identifies nobody."""

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the event a sender's clock may be before ``recorded_at`` is refused."""


class ProvenanceRefused(Exception):
    """The caller named a source that is not theirs (HTTP 403): ``field`` and why."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


def attestation_key(token_secret: str) -> bytes:
    """The registry's attestation key: derived with its own purpose label, so neither
    ``TOKEN_SECRET`` itself nor the sign-in code key (``shared.signin_code``) ever signs it."""
    return hmac.new(token_secret.encode(), b"registry-inbound-attestation", hashlib.sha256).digest()


def _identified_by(event_type: str, data: Mapping[str, Any]) -> tuple[str, str]:
    by = data.get("identified_by") if event_type == "carer.identified" else None
    if not isinstance(by, Mapping):
        return "", ""
    return str(by.get("kind") or ""), str(by.get("org_code") or "")


@dataclass(frozen=True)
class Attestor:
    """Signs what the registry writes to ``carers.inbound.v1`` and checks it when read back.

    The HMAC covers source, id, type, subject and the body's ``identified_by`` kind and
    organisation: the attestation cannot be lifted onto another event, and an attested
    self-service event cannot be edited to name another carer (its subject) or another kind.
    """

    key: bytes

    def sign(self, source: str, id: str, type: str, subject: str | None, data: Any) -> str:
        kind, org = _identified_by(type, data if isinstance(data, Mapping) else {})
        message = "\x1f".join((source, id, type, subject or "", kind, org))
        return hmac.new(self.key, message.encode(), hashlib.sha256).hexdigest()

    def verifies(
        self, source: str, id: str, type: str, subject: str | None, data: Any, claimed: Any
    ) -> bool:
        if not isinstance(claimed, str) or not claimed:
            return False
        return hmac.compare_digest(self.sign(source, id, type, subject, data), claimed)


# -- HTTP and FHIR: the caller's token is the source --------------------------------------


def credited(payload: Any, role: str, org: str) -> Any:
    """The payload with the caller's ``identified_by`` filled in where it says nothing.

    A bare body or a full CloudEvent (its ``data``); what the body does say is left for
    :func:`provenance_refusal` to judge after validation. Returns a new object; anything
    that is not a JSON object is returned as is for the parser to refuse.
    """
    kind = KIND_OF_ROLE.get(role)
    if not isinstance(payload, dict) or kind is None:
        return payload
    enveloped = "specversion" in payload
    body = payload.get("data") if enveloped else payload
    if not isinstance(body, dict):
        return payload
    by = body.get("identified_by")
    if by is None:
        by = {}
    if isinstance(by, dict):
        by = {**by}
        if not by.get("kind"):
            by["kind"] = kind
        if not by.get("org_code"):
            by["org_code"] = org
        body = {**body, "identified_by": by}
    return {**payload, "data": body} if enveloped else body


def provenance_refusal(
    source: str, identified_by: Any, role: str, org: str, *, enveloped: bool
) -> ProvenanceRefused | None:
    """Why this identification is not the caller's to send, or None when it is.

    ``identified_by`` is the validated ``IdentifiedBy``. Field names follow what was sent:
    ``data.identified_by.kind`` for a full CloudEvent, ``identified_by.kind`` for a bare body.
    """
    prefix = "data." if enveloped else ""
    kind = KIND_OF_ROLE.get(role)
    if kind is None:
        return ProvenanceRefused("token", f"the role {role} does not identify carers")
    if source.lower() != f"ods:{org}".lower():
        return ProvenanceRefused(
            "source", "must be ods:<your organisation code>, the organisation of your token"
        )
    if identified_by.kind != kind:
        return ProvenanceRefused(
            f"{prefix}identified_by.kind",
            f"must be {kind}, the role of your token (only the carer may record kind self)",
        )
    if (identified_by.org_code or "").upper() != org.upper():
        return ProvenanceRefused(
            f"{prefix}identified_by.org_code",
            "must be your organisation's code, the organisation of your token",
        )
    return None


# -- Kafka: only the registry speaks for the carer -----------------------------------------


def kafka_refusal(
    source: str, event_type: str, data: Mapping[str, Any], attested: bool
) -> str | None:
    """Why an inbound event's source is not one its writer may use, or None.

    Unattested events from ``ods:`` sources written straight to Kafka by partners are still
    accepted when consistent; binding each writer to its own ``ods:`` code is the
    per-partner topics' job (docs/trust.md, "Kafka principals").
    """
    kind, org = _identified_by(event_type, data)
    if source == SELF_SOURCE or kind == "self":
        if not attested:
            return (
                f"{ATTESTATION}: source {SELF_SOURCE} and identified_by.kind self are "
                "written only by the registry's self-service pages, which attest them; "
                "this event has no valid attestation"
            )
        return None
    if source.startswith(PLATFORM_PREFIX):
        if not attested:
            return (
                "source: urn:carers:* sources belong to the platform's own services; "
                "a partner writes as ods:<its organisation code>"
            )
        return None
    if source.startswith("ods:") and org and org.upper() != source[4:].upper():
        return (
            "data.identified_by.org_code: must be the organisation named by the event's "
            "source (ods:<code>)"
        )
    practice = str(data.get("practice_ods_code") or "") if event_type == "gp.carer_coded" else ""
    if source.startswith("ods:") and practice and practice.upper() != source[4:].upper():
        # A practice codes its own patients: coding in another's name would close that
        # practice's coding suggestion and let it read the carer (issue 17).
        return (
            "data.practice_ods_code: must be the practice named by the event's source "
            "(ods:<code>): a practice records its own codings only"
        )
    return None
