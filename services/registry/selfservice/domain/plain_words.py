"""What a carer reads about their own support, in plain words (and easy read).

Pure: from the registry's record and the referral events it tracked, the sentences the
"Check your support" page shows: who identified them, what they agreed to, where each
referral stands and what happens next, and when. Carers told the council that nobody tells
them what happens next; every status here therefore ends with a next step and a time, or with
how to get help.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.events import age_on

TEAMS: dict[str, tuple[str, str]] = {
    # service: (plain name, easy read name)
    "vasl": (
        "Voluntary Action South Leicestershire (VASL), the carers support service",
        "VASL, a charity that helps carers",
    ),
    "carers_assessment": (
        "the carers team at Leicestershire County Council, for a carer's assessment",
        "the carers team at the council",
    ),
    "young_carers": (
        "the young carers team at Leicestershire County Council",
        "the young carers team at the council",
    ),
    "support_at_home": ("Support at Home", "Support at Home"),
}

IDENTIFIED_BY: dict[str, tuple[str, str]] = {
    "self": ("You told us yourself", "You told us"),
    "gp": ("Your GP practice", "Your doctor's surgery"),
    "hospital": ("A hospital", "A hospital"),
    "council": ("Leicestershire County Council", "The council"),
    "vasl": ("VASL, the carers support service", "VASL"),
    "school": ("Your school or college", "Your school"),
    "other": ("Someone who works with carers", "Someone who helps carers"),
}

PARTNERS: dict[str, tuple[str, str]] = {
    "gp": ("your GP practice", "your doctor"),
    "council": ("Leicestershire County Council", "the council"),
    "vasl": ("Voluntary Action South Leicestershire (VASL)", "VASL"),
}

YOUNG_CARER_AGE = 16
"""Under this age, pages speak to a child: shorter words, the young carers team, Childline."""


def long_date(day: date) -> str:
    """``Friday 27 November 2026``: the GOV.UK style for dates."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def is_under_16(date_of_birth: date | None, at: date | datetime) -> bool:
    return date_of_birth is not None and age_on(date_of_birth, at) < YOUNG_CARER_AGE


@dataclass(frozen=True)
class ReferralView:
    """One referral as the carer reads it."""

    referral_id: str
    team: str
    status: str  # the status word for the tag
    tag_colour: str
    explanation: str
    next_step: str


def _team(service: str, easy: bool) -> str:
    plain, easy_name = TEAMS.get(service, (service.replace("_", " "), service))
    return easy_name if easy else plain


def describe_referral(referral: dict[str, Any], *, easy: bool = False) -> ReferralView:
    """Plain words for a referral: ``referral`` has service, status, due_by and outcome."""
    team = _team(referral["service"], easy)
    status = referral["status"]
    due = referral.get("due_by")
    by = f" by {long_date(date.fromisoformat(due))}" if due else " soon"
    capital = team[:1].upper() + team[1:]
    if status == "requested":
        return ReferralView(
            referral["referral_id"],
            team,
            "Waiting" if easy else "Waiting to be accepted",
            "blue",
            (
                f"We sent your details to {team}."
                if easy
                else f"We have passed your details to {team}."
            ),
            (
                f"They will look at your details{by}. Then they will contact you."
                if easy
                else f"They will look at what you told us and aim to accept the referral{by}. "
                "Then they will contact you in the way you asked."
            ),
        )
    if status == "accepted":
        return ReferralView(
            referral["referral_id"],
            team,
            "Accepted",
            "green",
            (f"{capital} will help you." if easy else f"{capital} accepted your referral."),
            (
                "They will contact you to talk about help. "
                "You do not need to tell your story again."
                if easy
                else "They will contact you to arrange support. You will not need to tell "
                "your story again: they have what you told us."
            ),
        )
    if status == "completed":
        return ReferralView(
            referral["referral_id"],
            team,
            "Finished",
            "grey",
            _outcome(referral.get("outcome") or {}, easy),
            (
                "If you need more help, tell us again or call us."
                if easy
                else "If things change and you need more help, you can tell us again here "
                "or call us."
            ),
        )
    if status == "declined":
        return ReferralView(
            referral["referral_id"],
            team,
            "Not going ahead",
            "orange",
            (
                f"{capital} cannot help with this."
                if easy
                else f"{capital} could not take this referral forward."
            ),
            (
                "Call us. We will talk about other help."
                if easy
                else "Call us and we will talk with you about other support that could help."
            ),
        )
    return ReferralView(
        referral["referral_id"],
        team,
        "Stopped",
        "grey",
        ("This has stopped." if easy else "This referral was stopped."),
        (_withdrawn_next(referral.get("reason") or "", easy)),
    )


def _outcome(outcome: dict[str, Any], easy: bool) -> str:
    kind = outcome.get("type")
    if kind == "assessment_completed":
        return "Your assessment is done." if easy else "Your carer's assessment is complete."
    if kind == "passport_issued":
        return (
            "You have a young carers passport."
            if easy
            else ("You have been given a young carers passport.")
        )
    if kind == "signposted":
        return (
            "They told you about other help."
            if easy
            else ("They put you in touch with other support that can help.")
        )
    return "This is finished." if easy else "This referral is complete."


def _withdrawn_next(reason: str, easy: bool) -> str:
    if "consent" in reason:
        return (
            "You said we cannot share your details with them. You can change this below."
            if easy
            else "You told us not to share your details with them. If you change your mind, "
            "change what you agree to below and we will refer you again."
        )
    return (
        "If you did not expect this, call us."
        if easy
        else ("If you did not expect this, call us and we will explain.")
    )


def sources_view(sources: list[dict[str, Any]], *, easy: bool = False) -> list[str]:
    """Who identified the carer, once each, oldest first."""
    seen: list[str] = []
    for source in sorted(sources, key=lambda s: s.get("at") or ""):
        plain, easy_name = IDENTIFIED_BY.get(source.get("kind") or "other", IDENTIFIED_BY["other"])
        name = easy_name if easy else plain
        if source.get("org_name") and source.get("kind") not in ("self",):
            name = f"{name}: {source['org_name']}"
        elif source.get("org_code") and source.get("kind") in ("gp", "hospital"):
            name = f"{name} ({source['org_code']})"
        if name not in seen:
            seen.append(name)
    return seen


def consent_view(consent: dict[str, Any], *, easy: bool = False) -> list[tuple[str, bool]]:
    """(partner, agreed) for each partner, and whether we may contact the carer at all."""
    share = set(consent.get("share_with") or [])
    rows = [(PARTNERS[p][1 if easy else 0], p in share) for p in ("gp", "council", "vasl")]
    rows.append(
        ("contact you" if easy else "contact you about your support", bool(consent.get("contact")))
    )
    return rows
