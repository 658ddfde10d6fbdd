"""The notifications API (contract section 5): what was sent to a carer, with status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from shared.auth import Principal, require_role

router = APIRouter(tags=["notifications"])
Staff = Annotated[Principal, Depends(require_role("council", "admin"))]


class NotificationPublic(BaseModel):
    notification_id: str
    carer_id: str
    event_type: str
    referral_id: str | None
    template_id: str
    template_version: int
    channel: str
    status: str
    created_at: datetime
    updated_at: datetime


@router.get("/notifications", summary="Messages to one carer and their status")
async def list_notifications(
    request: Request, principal: Staff, carer_id: str
) -> list[NotificationPublic]:
    async with request.app.state.unit_of_work() as uow:
        rows = await uow.notifications_for(carer_id)
        return [NotificationPublic.model_validate(row, from_attributes=True) for row in rows]
