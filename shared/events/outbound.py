"""Bodies of the events the project publishes (contract section 4b).

Partners build on these fields, so each is here with its type; the models allow extra fields
(``extra="allow"``) so a service can add an optional field without a consumer built against an
older copy of this module rejecting it. Two things a service must never add are guarded: a
notification event carries no message text or contact details, and a consultation event carries
no respondent identity (contract 4b).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.events.category import Category
from shared.events.inbound import IdentifierKind, Partner

Service = Literal["vasl", "carers_assessment", "young_carers", "support_at_home"]
ReferralStatus = Literal["requested", "accepted", "declined", "completed", "withdrawn"]
NotificationChannel = Literal["email", "sms"]
NotificationStatus = Literal["sent", "delivered", "failed"]
ConsultationChannel = Literal["online", "easy_read", "paper"]

CarerId = Annotated[str, Field(min_length=1)]
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class OutboundModel(BaseModel):
    """Base for published bodies: extra fields allowed for forward compatibility."""

    model_config = ConfigDict(extra="allow")


class _GuardedExtras(OutboundModel):
    """An outbound body that refuses extra fields whose names suggest personal data."""

    _forbidden_extras: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_personal_data(self) -> Self:
        leaked = sorted(set(self.model_extra or {}) & self._forbidden_extras)
        if leaked:
            raise PydanticCustomError(
                "personal_data",
                "must not carry {fields} (contract 4b)",
                {"fields": ", ".join(leaked)},
            )
        return self


# --- carers.registry.v1 ---------------------------------------------------------------------


class Source(OutboundModel):
    """One partner's identification of the carer: who and when."""

    kind: IdentifierKind
    org_code: str | None = None
    at: AwareDatetime


class CarerContact(OutboundModel):
    """How to reach the carer, for the notifications service; erased with the carer."""

    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    mobile: str | None = None
    preferences: dict[str, Any] = Field(default_factory=dict)


class CarerRegistered(OutboundModel):
    """``carer.registered``: published once per person, when the record is created.

    Contract 4b names ``carer_id``, ``category`` and ``sources``. The rest are compatible
    extensions that let referrals and notifications act without asking the carer again:
    consent, what they asked for, who they care for, their story and how to reach them.
    ``category`` is null while the date of birth is unknown (an NHS-number-only report).
    """

    carer_id: CarerId
    category: Category | None
    sources: list[Source] = Field(min_length=1)
    consent: ConsentSnapshot | None = None
    support_requested: list[str] = Field(default_factory=list)
    caring_for: list[dict[str, Any]] = Field(default_factory=list)
    story: str | None = None
    identified_by: list[dict[str, Any]] = Field(default_factory=list)
    contact: CarerContact | None = None
    postcode_district: str | None = Field(
        default=None, description="outward code of the carer's postcode (LE3), for district figures"
    )
    version: int | None = None


class CarerUpdated(CarerRegistered):
    """``carer.updated``: a later identification or change to an existing record."""


class CarerMerged(OutboundModel):
    """``carer.merged``: ``merged_carer_id`` was the same person; it lives on as ``carer_id``."""

    carer_id: CarerId
    merged_carer_id: CarerId


class CarerErased(OutboundModel):
    """``carer.erased``: the carer's personal data has been removed."""

    carer_id: CarerId


class ConsentRecorder(OutboundModel):
    """Who recorded a consent change: the organisation (or the carer's own self-service)."""

    kind: IdentifierKind
    org_code: str | None = None
    org_name: str | None = None


class ConsentWidened(OutboundModel):
    """``consent.widened``: the carer's consent now shares with more partners or allows contact.

    Why: widening is the one consent change someone other than the carer could want to make
    for them, so every applied widening is announced and the notifications service tells the
    carer on their own channel ("You agreed to share ... recorded by ...; if this is wrong, tell
    us"). Narrowing is never announced this way: it can only protect the carer.
    """

    carer_id: CarerId
    added_share_with: list[Partner]
    contact_added: bool
    share_with: list[Partner]
    contact: bool
    recorded_by: ConsentRecorder
    on_behalf_of: Literal["carer"] = "carer"
    recorded_at: AwareDatetime


# --- carers.status.v1 -----------------------------------------------------------------------


class GpCoded(OutboundModel):
    """Where and when a GP coded the person as a carer (from ``gp.carer_coded``)."""

    practice_ods_code: str
    coded_at: AwareDatetime


class ConsentSnapshot(OutboundModel):
    """The carer's current consent."""

    share_with: list[Partner]
    contact: bool


class OpenReferral(OutboundModel):
    """A referral that is still requested or accepted."""

    referral_id: str = Field(min_length=1)
    service: Service
    status: ReferralStatus


class CarerStatus(OutboundModel):
    """``carer.status``: the compacted snapshot; ``version`` goes up by one with every change."""

    carer_id: CarerId
    category: Category | None
    identified_by: list[Source]
    gp_coded: GpCoded | None = None
    consent: ConsentSnapshot
    open_referrals: list[OpenReferral] = Field(default_factory=list)
    assessment: dict[str, Any] | None = None
    young_carer_passport: dict[str, Any] | None = None
    version: int = Field(ge=1)
    updated_at: AwareDatetime


# --- carers.outbound.partner.gp.<ods>.v1 (one topic per practice) ---------------------------


class GpCodingSuggested(OutboundModel):
    """``gp.coding_suggested``: "your patient is a carer: please code them" (issue 17).

    Published once per (carer, practice), on that practice's own topic only, when a carer who
    names the practice and consented to share with their GP is not coded there. Carries only
    what the practice needs to find and code the patient; a ``gp.carer_coded`` from the
    practice closes it. ``nhs_number`` and demographics may be null when the registry does not
    hold them.
    """

    carer_id: CarerId
    practice_ods_code: str = Field(min_length=3, max_length=10)
    nhs_number: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None
    snomed_code: str
    snomed_display: str
    suggested_at: AwareDatetime


# --- carers.referrals.v1 --------------------------------------------------------------------


class ReferralEvent(OutboundModel):
    """Fields every ``referral.*`` event carries."""

    referral_id: str = Field(min_length=1)
    carer_id: CarerId
    service: Service
    status: ReferralStatus
    reason: str | None = None
    outcome: dict[str, Any] | None = None


class ReferralCreated(ReferralEvent):
    """``referral.created``: a new referral, waiting for the team to accept it."""

    status: Literal["requested"] = "requested"


class ReferralAccepted(ReferralEvent):
    """``referral.accepted``."""

    status: Literal["accepted"] = "accepted"


class ReferralDeclined(ReferralEvent):
    """``referral.declined``; ``reason`` says why."""

    status: Literal["declined"] = "declined"


class ReferralCompleted(ReferralEvent):
    """``referral.completed``; the contract requires the ``outcome``."""

    status: Literal["completed"] = "completed"
    outcome: dict[str, Any]


class ReferralWithdrawn(ReferralEvent):
    """``referral.withdrawn``."""

    status: Literal["withdrawn"] = "withdrawn"


class ReferralOverdue(ReferralEvent):
    """``referral.overdue``: still open past its deadline, so still requested or accepted."""

    status: Literal["requested", "accepted"]


# --- carers.notifications.v1 ----------------------------------------------------------------


class TemplateRef(OutboundModel):
    """Which template (and which version of it) the notification used."""

    id: str = Field(min_length=1)
    version: int = Field(ge=1)


_CONTACT_AND_CONTENT = frozenset(
    {"text", "body", "message", "subject", "html", "to", "email", "mobile", "phone", "address"}
)


class NotificationEvent(_GuardedExtras):
    """Fields every ``notification.*`` event carries; never the text or the contact details."""

    _forbidden_extras: ClassVar[frozenset[str]] = _CONTACT_AND_CONTENT

    notification_id: str = Field(min_length=1)
    carer_id: CarerId
    template: TemplateRef
    channel: NotificationChannel
    status: NotificationStatus
    referral_id: str | None = None


class NotificationSent(NotificationEvent):
    """``notification.sent``: handed to the email or SMS provider."""

    status: Literal["sent"] = "sent"


class NotificationDelivered(NotificationEvent):
    """``notification.delivered``: the provider confirmed delivery."""

    status: Literal["delivered"] = "delivered"


class NotificationFailed(NotificationEvent):
    """``notification.failed``; ``reason`` is the provider's reason, free of contact details."""

    status: Literal["failed"] = "failed"
    reason: str | None = None


# --- carers.consultation.v1 -----------------------------------------------------------------

_RESPONDENT_IDENTITY = frozenset(
    {"name", "given_name", "family_name", "email", "mobile", "phone", "address", "postcode"}
)


class ConsultationResponseSubmitted(_GuardedExtras):
    """``consultation.response_submitted``: a response arrived; never a named person's answers."""

    _forbidden_extras: ClassVar[frozenset[str]] = _RESPONDENT_IDENTITY

    consultation: str = Field(pattern=_SLUG)
    response_id: str = Field(min_length=1)
    channel: ConsultationChannel
    submitted_at: AwareDatetime | None = None


class ConsultationInterestRegistered(_GuardedExtras):
    """``consultation.interest_registered``: someone asked to hear about a consultation.

    How to contact them stays in the consultation service's own store; the event only says
    that an interest was registered.
    """

    _forbidden_extras: ClassVar[frozenset[str]] = _RESPONDENT_IDENTITY

    consultation: str = Field(pattern=_SLUG)
    interest_id: str = Field(min_length=1)
    registered_at: AwareDatetime | None = None
