"""What a member of staff asks of the work queue, and the record of each read (contract 6.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class QueueFilter:
    """What a queue request asks for; ``services`` is already scoped to the caller's role."""

    services: tuple[str, ...]
    status: str | None = None  # a status, or "open" for requested and accepted
    carer_id: str | None = None
    overdue: bool | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class Read:
    """One read of a referral (or of an empty page of the queue) by a member of staff:
    who, what for, and whether it was allowed. Every read is kept, refused ones too."""

    subject: str
    role: str
    org: str
    action: str
    at: datetime
    referral_id: str | None
    carer_id: str | None
    outcome: str  # allowed, not_found or refused:scope
