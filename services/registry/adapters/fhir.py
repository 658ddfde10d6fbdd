"""A FHIR R4 message Bundle in, a ``carer.identified`` event out (contract section 5).

GP and hospital systems speak FHIR; the registry speaks CloudEvents. Translating at the edge
means a FHIR identification becomes exactly the event a Kafka partner would have sent, so it
takes the same path through the registry and obeys the same rules (``shared.events``).

FHIR structure is checked by fhir.resources' R4B models (the package has no R4 models; R4B
leaves the resources used here as they were in R4). Failures come back as OperationOutcome
issues naming the element by FHIRPath (``Bundle.entry[1].resource.identifier[0].value``):
``400`` when the body is not a FHIR Bundle or the models reject it, ``422`` when a valid
Bundle breaks our rules, ``403`` when it claims to come from another organisation than the
caller's token. docs/partners.md gives partners the mapping; choices FHIR leaves open are
explained where they are made below. Structure and OperationOutcomes live in
``adapters.fhir_structure``, the reading of Consent in ``adapters.fhir_consent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from services.registry.adapters.fhir_consent import PARTNER, PARTNERS, read_consent
from services.registry.adapters.fhir_organisations import (
    HISTORY,
    ODS_CODE,
    SPINE_DIRECTORY,
    read_sender,
    registered_practice,
)
from services.registry.adapters.fhir_structure import (
    MAX_ISSUES,
    FhirRejected,
    Issue,
    modifier_extensions,
    operation_outcome,
    parse_bundle,
)
from services.registry.adapters.fhir_vocabulary import INVERSE, NEEDS_BY_CODE, RELATIONSHIPS
from shared.events import RECOGNISED_CARER_SNOMED_CODES, CarerIdentified, CloudEvent
from shared.events.validators import check_nhs_number

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED_CT = "http://snomed.info/sct"
EVENT_CODES = "https://carers-connect.example/CodeSystem/event"
ACCEPTED_EVENTS = {(EVENT_CODES, "carer.identified")}
"""MessageHeader.eventCoding (system, code) pairs this endpoint accepts (docs/partners.md)."""
UK_CORE_ROLE = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
__all__ = [
    "MAX_ISSUES",
    "ODS_CODE",
    "PARTNER",
    "PARTNERS",
    "SPINE_DIRECTORY",
    "FhirRejected",
    "Issue",
    "operation_outcome",
    "parse_bundle",
    "translate",
]
CLOCK_SKEW = timedelta(minutes=5)  # a sender's clock may run a little ahead of ours

_STANDING = ("registered", "preliminary", "final", "amended", "corrected")
_SENSITIVE = {"email": "is not a valid email address", "mobile": "is not a valid UK mobile number"}


@dataclass(frozen=True)
class Translation:
    """The event a message stands for; ``sender`` is the sending organisation's ODS code."""

    message_id: str
    sender: str
    time: datetime
    nhs_number: str
    body: dict[str, Any]

    def to_event(self, traceparent: str | None = None) -> CloudEvent:
        """The message's own id, so a resent message is a duplicate (contract 2)."""
        return CloudEvent(
            specversion="1.0",
            id=self.message_id,
            source=f"ods:{self.sender}",
            type="carer.identified",
            time=self.time,
            subject=self.nhs_number,
            data=self.body,
            traceparent=traceparent,
        )


def translate(payload: Any, *, kind: str, org: str, now: datetime | None = None) -> Translation:
    """The ``carer.identified`` event a Bundle stands for, or ``FhirRejected``.

    ``kind`` (gp or hospital) and ``org`` come from the caller's token: FHIR does not say
    whether an ODS code is a practice or a trust, and the token is what we trust.
    """
    bundle = parse_bundle(payload)
    refused = list(modifier_extensions(payload, "Bundle"))
    if refused:
        raise FhirRejected(422, refused)
    return _Translator(bundle, kind, org, now or datetime.now(UTC)).run()


@dataclass
class _Entry:
    index: int
    full_url: str | None
    resource: Any

    @property
    def path(self) -> str:
        return f"Bundle.entry[{self.index}].resource"

    @property
    def kind(self) -> str:
        return str(self.resource.get_resource_type())

    def is_referenced_by(self, reference: Any) -> bool:
        """Whether a Reference points here: by fullUrl, or by ``Type/id`` (relative or not)."""
        target = getattr(reference, "reference", None)
        if not target:
            return False
        target = HISTORY.sub("", target)  # Patient/x/_history/1 is a version of Patient/x
        local = f"{self.kind}/{self.resource.id}" if self.resource.id else None
        return target == self.full_url or bool(
            local and (target == local or target.endswith("/" + local))
        )


class _Translator:
    """Reads one valid Bundle, collecting every broken rule before answering."""

    def __init__(self, bundle: Bundle, kind: str, org: str, now: datetime) -> None:
        self.bundle, self.kind, self.org, self.now = bundle, kind, org, now
        entries = enumerate(bundle.entry or [])
        self.entries = [_Entry(i, e.fullUrl, e.resource) for i, e in entries if e.resource]
        self.issues: list[Issue] = []
        self.paths: dict[str, tuple[str, str]] = {}  # body field -> (FHIRPath, label)
        self.nhs_number = ""
        self.carer: _Entry | None = None

    def of(self, *kinds: str) -> list[_Entry]:
        return [e for e in self.entries if e.kind in kinds]

    def fail(self, code: str, text: str, expression: str) -> None:
        self.issues.append(Issue(code, text, expression))

    def resolve(self, reference: Any) -> Any:
        """The resource in this Bundle that ``reference`` points to, or None."""
        return next((e.resource for e in self.entries if e.is_referenced_by(reference)), None)

    def is_carer(self, reference: Any) -> bool:
        return self.carer is not None and self.carer.is_referenced_by(reference)

    def run(self) -> Translation:
        header = self.header()
        sender, sender_name = self.sender(header)
        message_id = self.bundle.id or (header.resource.id if header else None)
        if not message_id:
            self.fail("required", "the message needs an id: a resend repeats it", "Bundle.id")
        time = self.bundle.timestamp or self.now
        if time > self.now + CLOCK_SKEW:
            self.fail("value", f"timestamp {time.isoformat()} is in the future", "Bundle.timestamp")
        findings = self.carer_findings()
        patient = self.carer = self.carer_patient(findings)
        person = self.person(patient) if patient else {}
        needs = list(dict.fromkeys(NEEDS_BY_CODE[c] for _, c in findings if c in NEEDS_BY_CODE))
        caring_for = self.caring_for(needs or ["other"]) if patient else []
        consent = self.consent() if patient else None
        # The carer's story is the notes on the carer findings, exactly as written.
        notes = [
            (f, i, n.text)
            for f, _ in findings
            for i, n in enumerate(getattr(f.resource, "note", None) or [])
        ]
        if notes:
            self.paths["story"] = (f"{notes[0][0].path}.note[{notes[0][1]}].text", "The note")
        by = {"kind": self.kind, "org_code": sender, "org_name": sender_name}
        body: dict[str, Any] = {"identified_by": by, "person": person, "caring_for": caring_for}
        body["preferences"] = self.preferences(patient) if patient else {}
        if consent is not None:
            body["consent"] = consent
        if notes:
            body["story"] = "\n\n".join(text for _, _, text in notes if text)
        if patient is not None:
            self.validate(body)
        if self.issues:
            raise FhirRejected(422, self.issues)
        return Translation(str(message_id), str(sender), time, self.nhs_number, body)

    def header(self) -> _Entry | None:
        if self.bundle.type != "message":
            text = f"Bundle.type must be 'message', not {self.bundle.type!r}"
            self.fail("value", text, "Bundle.type")
        first = self.bundle.entry[0].resource if self.bundle.entry else None
        if first is None or first.get_resource_type() != "MessageHeader":
            text = "a message Bundle's first entry must be its MessageHeader"
            self.fail("structure", text, "Bundle.entry[0].resource")
            return None
        header = self.entries[0]
        event = header.resource.eventCoding
        if event is None or (event.system, event.code) not in ACCEPTED_EVENTS:
            text = (
                f"this endpoint accepts eventCoding system {EVENT_CODES} code carer.identified "
                "only (GET /fhir/metadata lists the messages accepted)"
            )
            self.fail("value", text, f"{header.path}.eventCoding")
        return header

    def sender(self, header: _Entry | None) -> tuple[str | None, str | None]:
        """The sender's ODS code (``adapters.fhir_organisations``): 403 if not the caller's."""
        return read_sender(header, self.entries, self.org, self.fail)

    def carer_findings(self) -> list[tuple[_Entry, str]]:
        """Observations and Flags with a recognised carer code, with that code."""
        found: list[tuple[_Entry, str]] = []
        others: list[Issue] = []
        for entry in self.of("Observation", "Flag"):
            codings = list(enumerate(entry.resource.code.coding or []))
            snomed = [(j, (c.code or "").strip()) for j, c in codings if c.system == SNOMED_CT]
            carer = [code for _, code in snomed if code in RECOGNISED_CARER_SNOMED_CODES]
            if carer:
                found.append((entry, carer[0]))
                self.check_status(entry)
            for j, code in [] if carer else snomed:
                text = f"SNOMED CT {code} is not a recognised carer code (use 224484003)"
                others.append(Issue("value", text, f"{entry.path}.code.coding[{j}].code"))
        if not found:
            text = "the message needs an Observation or Flag coded SNOMED CT 224484003"
            self.issues.extend(others or [Issue("required", text, "Bundle.entry")])
        return found

    def check_status(self, entry: _Entry) -> None:
        """A cancelled or entered-in-error finding, or an inactive Flag, says nothing."""
        status, at = entry.resource.status, f"{entry.path}.status"
        if entry.kind == "Flag" and status != "active":
            self.fail("value", f"a Flag with status {status!r} is not current", at)
        if entry.kind == "Observation" and status not in _STANDING:
            self.fail("value", f"an Observation with status {status!r} does not stand", at)

    def carer_patient(self, findings: list[tuple[_Entry, str]]) -> _Entry | None:
        """The Patient the carer findings are about: that Patient is the carer."""
        if not self.of("Patient"):
            self.fail("required", "the message needs a Patient: the carer", "Bundle.entry")
            return None
        chosen: list[_Entry] = []
        for entry, _ in findings:
            subject = [p for p in self.of("Patient") if p.is_referenced_by(entry.resource.subject)]
            if not subject:
                text = f"{entry.kind}.subject must reference the carer's Patient in this Bundle"
                self.fail("value", text, f"{entry.path}.subject")
            chosen += [p for p in subject if p not in chosen]
        if len(chosen) > 1:
            self.fail("structure", "one carer per message, not two Patients", "Bundle.entry")
        if not chosen and len(self.of("Patient")) == 1:  # still check the lone Patient
            return self.of("Patient")[0]
        return chosen[0] if chosen else None

    def person(self, patient: _Entry) -> dict[str, Any]:
        """Demographics exactly as sent (the event model normalises postcode and mobile)."""
        p, at = patient.resource, patient.path
        person: dict[str, Any] = {"nhs_number": self.nhs(patient)}
        names = list(enumerate(p.name or []))
        name = next((n for n in names if n[1].use == "official"), names[0] if names else None)
        if name is not None and name[1].given:
            person["given_name"] = " ".join(name[1].given)
            self.paths["person.given_name"] = (f"{at}.name[{name[0]}].given", "The given name")
        if name is not None and name[1].family:
            person["family_name"] = name[1].family
            self.paths["person.family_name"] = (f"{at}.name[{name[0]}].family", "The family name")
        self.paths["person.date_of_birth"] = (f"{at}.birthDate", "The birthDate")
        if p.birthDate:  # a partial date ("1968-04") stays a string: the event model rejects it
            born = p.birthDate
            person["date_of_birth"] = born.isoformat() if isinstance(born, date) else born
        places = [(i, a) for i, a in enumerate(p.address or []) if a.postalCode and a.use != "old"]
        home = next((a for a in places if a[1].use == "home"), places[0] if places else None)
        if home is not None:
            person["postcode"] = home[1].postalCode
            self.paths["person.postcode"] = (f"{at}.address[{home[0]}].postalCode", "The postcode")
        practice = registered_practice(patient, self.entries, self.fail)
        if practice is not None:
            person["gp_practice_ods"], where = practice
            self.paths["person.gp_practice_ods"] = (where, "The GP practice")
        for i, point in self.telecoms(p):
            field = "email" if point.system == "email" else "mobile"
            if field not in person:
                person[field] = point.value
                self.paths[f"person.{field}"] = (f"{at}.telecom[{i}].value", f"The {field}")
        return person

    def nhs(self, patient: _Entry) -> str:
        """The Patient's one NHS number, checked with the shared Modulus 11 validator."""
        at, identifiers = f"{patient.path}.identifier", patient.resource.identifier or []
        found = [(k, i.value or "") for k, i in enumerate(identifiers) if i.system == NHS_NUMBER]
        if not found:
            self.fail("required", f"the Patient needs an identifier with system {NHS_NUMBER}", at)
        numbers: set[str] = set()
        for k, value in found:
            self.paths["person.nhs_number"] = (f"{at}[{k}].value", "The NHS number")
            try:
                numbers.add(check_nhs_number(value))
            except PydanticCustomError as error:
                self.fail("value", str(error), f"{at}[{k}].value")
        if len(numbers) > 1:
            self.fail("value", "the Patient has two different NHS numbers", at)
        self.nhs_number = min(numbers, default="")
        # An invalid number stays in the body, so the event model reports no second problem.
        return self.nhs_number or (found[0][1] if found else "")

    @staticmethod
    def telecoms(patient: Any) -> list[tuple[int, Any]]:
        """Mobiles (phone with use mobile, or sms) and emails, lowest rank (preferred) first."""
        points = [
            (i, t)
            for i, t in enumerate(patient.telecom or [])
            if t.value
            and (t.system in ("email", "sms") or (t.system, t.use) == ("phone", "mobile"))
        ]
        return sorted(points, key=lambda p: p[1].rank if p[1].rank is not None else 1 << 30)

    def preferences(self, patient: _Entry) -> dict[str, Any]:
        """Channels in telecom rank order (a mobile means sms); language from communication."""
        points = self.telecoms(patient.resource)
        channels = ["email" if t.system == "email" else "sms" for _, t in points]
        preferences: dict[str, Any] = {"contact_channels": list(dict.fromkeys(channels))}
        spoken = sorted(patient.resource.communication or [], key=lambda c: not c.preferred)
        codes = [c.code for s in spoken[:1] for c in s.language.coding or [] if c.code]
        if codes:
            preferences["language"] = codes[0]
            self.paths["preferences.language"] = (f"{patient.path}.communication", "The language")
        return preferences

    def caring_for(self, needs: list[str]) -> list[dict[str, Any]]:
        """One entry per RelatedPerson; ``caring_for`` needs one, so without any RelatedPerson
        the entry says relationship "other" (the story still says who is cared for)."""
        cared: list[dict[str, Any]] = []
        for entry in self.of("RelatedPerson"):
            codings = [c for cc in entry.resource.relationship or [] for c in cc.coding or []]
            roles = [RELATIONSHIPS.get(c.code or "") for c in codings if c.system == V3_ROLE_CODE]
            relationship = next((r for r in roles if r), "other")
            is_carer = any(c.system == UK_CORE_ROLE and c.code == "Carer" for c in codings)
            if not self.is_carer(entry.resource.patient):
                if not is_carer:
                    text = "RelatedPerson.patient must be the carer's Patient (or code it Carer)"
                    self.fail("value", text, f"{entry.path}.patient")
                    continue
                relationship = INVERSE.get(relationship, relationship)
            where = (f"{entry.path}.relationship", "The relationship")
            self.paths[f"caring_for.{len(cared)}"] = where
            cared.append({"relationship": relationship, "needs": needs})
        return cared or [{"relationship": "other", "needs": needs}]

    def consent(self) -> dict[str, Any] | None:
        """The carer's decision about the partners, by R4 semantics or the v1 shape
        (``adapters.fhir_consent``); None when the message has no Consent."""
        consents = self.of("Consent")
        if len(consents) > 1:
            self.fail("structure", "send one Consent: it replaces the carer's", "Bundle.entry")
        if not consents:
            return None
        entry, resource = consents[0], consents[0].resource
        self.paths["consent"] = (entry.path, "The Consent")
        if resource.patient is not None and not self.is_carer(resource.patient):
            text = "Consent.patient must be the carer's Patient"
            self.fail("value", text, f"{entry.path}.patient")
        return read_consent(resource, entry.path, self.fail, self.resolve, self.now)

    def validate(self, body: dict[str, Any]) -> None:
        """The event model's own rules (postcode, mobile, future birth date...), by FHIRPath,
        beside the problems found above (an element already reported is not reported twice)."""
        try:
            CarerIdentified.model_validate(body)
        except ValidationError as exc:
            reported = {issue.expression for issue in self.issues}
            # "required when nhs_number is absent": we already said the number is required.
            found = [self.body_issue(e) for e in exc.errors() if e["type"] != "required"]
            self.issues += [issue for issue in found if issue.expression not in reported]

    def body_issue(self, error: Any) -> Issue:
        loc = [str(part) for part in error["loc"]]
        expression, label = "Bundle", "The message"
        for end in range(len(loc), 0, -1):
            if ".".join(loc[:end]) in self.paths:
                expression, label = self.paths[".".join(loc[:end])]
                break
        text = _SENSITIVE.get(loc[-1], str(error["msg"]).removeprefix("Value error, "))
        code = "required" if error["type"] == "missing" else "value"
        return Issue(code, f"{label}: {text}", expression)
