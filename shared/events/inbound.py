"""Bodies of the events partners write to ``carers.inbound.v1`` (contract section 3).

Unknown fields are ignored, not rejected (``extra="ignore"``). The contract lets it grow by new
optional fields without a new topic version, so a partner already sending a newer field must not
be dead-lettered by an older consumer; ignoring (rather than keeping) them also means personal
data we have not assessed is never stored or re-published.

Names and the carer's story are kept exactly as sent: no trimming, no accent or apostrophe
removal. Comparison of names happens elsewhere, on ``normalise_name_for_matching``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.events.validators import (
    BlankIsNone,
    Email,
    NhsNumber,
    NonBlankStr,
    UkMobile,
    UkPostcode,
)

IdentifierKind = Literal["gp", "hospital", "council", "vasl", "school", "self", "other"]
Relationship = Literal[
    "parent",
    "child",
    "spouse_or_partner",
    "sibling",
    "grandparent",
    "grandchild",
    "other_relative",
    "friend",
    "neighbour",
    "other",
]
Need = Literal[
    "physical_disability",
    "learning_disability",
    "long_term_illness",
    "mental_health",
    "substance_misuse",
    "dementia",
    "sensory_impairment",
    "frailty",
    "terminal_illness",
    "other",
]
ContactChannel = Literal["email", "sms", "post", "phone"]
Partner = Literal["gp", "council", "vasl"]
SupportRequest = Literal[
    "carers_assessment", "vasl_support", "young_carers_support", "respite", "information"
]

# SNOMED CT concepts a GP system may use to record that the patient is a carer. Kept to codes
# whose meaning is "this patient provides care": the "is a carer" concepts and the
# "caregiver of a person with ..." findings used in UK primary-care carer code lists. Codes for
# carer *support* (health checks, referrals, allowances) or carer contact details are not here:
# they do not by themselves say the patient is a carer. Add codes with their display term.
RECOGNISED_CARER_SNOMED_CODES: dict[str, str] = {
    "224484003": "Patient themselves providing care",
    "133932002": "Caregiver",
    "407542009": "Informal caregiver",
    "407543004": "Primary caregiver",
    "413759008": "Caregiver of person with alcohol misuse",
    "413760003": "Caregiver of a person with chronic disease",
    "413761004": "Caregiver of a person with learning disability",
    "413762006": "Caregiver of a person with mental health problem",
    "413763001": "Caregiver of a person with physical disability",
    "413764007": "Caregiver of a person with sensory impairment",
    "413765008": "Caregiver of a person with substance misuse",
}

_T = TypeVar("_T")
_BCP47_SHORT = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
_ODS_CODE = r"^[A-Za-z0-9]{3,10}$"
MAX_NAME_LENGTH = 200
MAX_STORY_LENGTH = 10_000


def unique_items(values: list[_T]) -> list[_T]:
    """Reject a list that names the same value twice; order is meaningful, so keep it."""
    try:
        if len(set(values)) == len(values):  # the usual case, decided in one C call
            return values
    except TypeError:  # unhashable values: compare them one by one below
        pass
    seen: list[_T] = []
    for value in values:
        if value in seen:
            raise PydanticCustomError(
                "unique", "{value} is listed more than once", {"value": repr(value)}
            )
        seen.append(value)
    return values


_UNIQUE = AfterValidator(unique_items)
_UNIQUE_SCHEMA = {"uniqueItems": True}

Name = Annotated[NonBlankStr, Field(max_length=MAX_NAME_LENGTH)]
OptionalText = Annotated[str | None, BlankIsNone]


class InboundModel(BaseModel):
    """Base for inbound bodies: unknown fields ignored (see module docstring)."""

    model_config = ConfigDict(extra="ignore")


class IdentifiedBy(InboundModel):
    """Who identified the carer; ``org_code`` is their ODS or council code where they have one."""

    kind: IdentifierKind
    org_code: OptionalText = None
    org_name: OptionalText = None


_DEMOGRAPHICS = ("given_name", "family_name", "date_of_birth", "postcode")


class Person(InboundModel):
    """The carer. Without an NHS number the four demographics are the only way to match them."""

    nhs_number: Annotated[NhsNumber | None, BlankIsNone] = None
    given_name: Name | None = Field(default=None, validate_default=True)
    family_name: Name | None = Field(default=None, validate_default=True)
    date_of_birth: date | None = Field(default=None, validate_default=True)
    postcode: UkPostcode | None = Field(default=None, validate_default=True)
    email: Annotated[Email | None, BlankIsNone] = None
    mobile: Annotated[UkMobile | None, BlankIsNone] = None
    gp_practice_ods: Annotated[Annotated[str, Field(pattern=_ODS_CODE)] | None, BlankIsNone] = None
    """The ODS code of the GP practice the carer is registered with (optional, issue 17):
    that practice is asked to code them as a carer, and may read their record with consent."""

    @field_validator("gp_practice_ods")
    @classmethod
    def _practice_upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @field_validator(*_DEMOGRAPHICS)
    @classmethod
    def _required_without_nhs_number(cls, value: object, info: ValidationInfo) -> object:
        # "nhs_number" is missing from info.data when it was present but invalid; that error is
        # already reported, so only a genuinely absent number makes demographics mandatory.
        if value is None and "nhs_number" in info.data and info.data["nhs_number"] is None:
            raise PydanticCustomError("required", "required when nhs_number is absent")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise PydanticCustomError("future_date", "is in the future")
        return value


class CaredFor(InboundModel):
    """A person the carer looks after: how they are related and what their needs are."""

    relationship: Relationship
    needs: Annotated[list[Need], Field(min_length=1, json_schema_extra=_UNIQUE_SCHEMA), _UNIQUE]
    lives_with_carer: bool | None = None


class Preferences(InboundModel):
    """How the carer wants to be contacted, in order of preference."""

    contact_channels: Annotated[
        list[ContactChannel], Field(json_schema_extra=_UNIQUE_SCHEMA), _UNIQUE
    ] = Field(default_factory=list)
    easy_read: bool = False
    language: str = Field(default="en", pattern=_BCP47_SHORT)


class Consent(InboundModel):
    """What the carer agreed to. Absent consent means none: no sharing, no contact."""

    share_with: Annotated[list[Partner], Field(json_schema_extra=_UNIQUE_SCHEMA), _UNIQUE]
    contact: bool
    recorded_at: AwareDatetime | None = None


def _no_consent() -> Consent:
    return Consent(share_with=[], contact=False)


class CarerIdentified(InboundModel):
    """``carer.identified``: a partner has identified someone as a carer."""

    identified_by: IdentifiedBy
    person: Person
    caring_for: Annotated[list[CaredFor], Field(min_length=1)]
    preferences: Preferences = Field(default_factory=Preferences)
    consent: Consent = Field(default_factory=_no_consent)
    support_requested: Annotated[
        list[SupportRequest], Field(json_schema_extra=_UNIQUE_SCHEMA), _UNIQUE
    ] = Field(default_factory=list)
    story: str | None = Field(default=None, max_length=MAX_STORY_LENGTH)


class GpCarerCoded(InboundModel):
    """``gp.carer_coded``: a GP practice recorded a carer SNOMED code for the patient."""

    nhs_number: NhsNumber
    practice_ods_code: str = Field(pattern=_ODS_CODE)
    snomed_code: str
    coded_at: AwareDatetime

    @field_validator("practice_ods_code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("snomed_code")
    @classmethod
    def _recognised(cls, value: str) -> str:
        code = value.strip()
        if code not in RECOGNISED_CARER_SNOMED_CODES:
            accepted = ", ".join(f"{c} {term}" for c, term in RECOGNISED_CARER_SNOMED_CODES.items())
            raise PydanticCustomError(
                "snomed_code",
                "{value} is not a recognised carer code (accepted: {accepted})",
                {"value": code, "accepted": accepted},
            )
        return code


class ConsentUpdated(InboundModel):
    """``consent.updated``: replaces the carer's consent; names the carer one way, not two."""

    nhs_number: Annotated[NhsNumber | None, BlankIsNone] = None
    carer_id: Annotated[NonBlankStr | None, BlankIsNone] = None
    share_with: Annotated[list[Partner], Field(json_schema_extra=_UNIQUE_SCHEMA), _UNIQUE]
    contact: bool
    recorded_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _exactly_one_reference(self) -> Self:
        # Two references could point at two different carers; refusing is safer than guessing.
        if self.nhs_number is None and self.carer_id is None:
            raise PydanticCustomError("reference", "one of nhs_number or carer_id is required")
        if self.nhs_number is not None and self.carer_id is not None:
            raise PydanticCustomError(
                "reference", "give exactly one of nhs_number or carer_id, not both"
            )
        return self


class CarerErasureRequested(InboundModel):
    """``carer.erasure_requested``: remove this carer's personal data everywhere."""

    carer_id: NonBlankStr
    reason: NonBlankStr
