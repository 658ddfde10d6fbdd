"""The notifications API (contract section 5), delivery receipts and unsubscribe links.

- ``GET /notifications?carer_id=`` (council, admin): what was sent to a carer, with status;
  ``?status=staff-task`` lists the letters and calls staff have to make. Every read is
  audited (who, role, organisation, which carer or status; never the messages), and a
  sign-in code never appears in a subject or body here (it is never stored).
- ``POST /notifications/receipts``: GOV.UK Notify's delivery receipt callback, authorised by
  the bearer token configured in Notify (``NOTIFICATIONS_CALLBACK_TOKEN``).
- ``GET /unsubscribe/{token}`` shows a page with a button; ``POST`` unsubscribes (also the
  RFC 8058 one-click POST mail programs send). GET alone never unsubscribes, because mail
  scanners follow links.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from services.notifications.entrypoints.deps import (
    Clock,
    HelpPhone,
    Notify,
    Staff,
    UnitOfWork,
    UnsubscribingCarer,
)
from services.notifications.service_layer.reads import notifications_seen_by
from services.notifications.service_layer.receipts import apply_receipt, unsubscribe_from_email

router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    """A send record as staff see it: never the carer's address or number."""

    notification_id: str
    carer_id: str
    event_type: str
    referral_id: str | None
    template_id: str
    template_version: int
    variant: str | None
    language: str | None
    channel: str
    status: str
    reason: str | None
    subject: str | None
    body: str | None
    attempts: int
    not_before: datetime | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None


class DeliveryReceipt(BaseModel):
    """The body of Notify's delivery receipt callback (the fields we use)."""

    id: str
    reference: str | None = None
    status: Literal[
        "sending", "delivered", "permanent-failure", "temporary-failure", "technical-failure"
    ]
    notification_type: str | None = None


@router.get("/notifications", summary="Messages to one carer (or in one status), with status")
async def list_notifications(
    uow: UnitOfWork,
    principal: Staff,
    carer_id: Annotated[str | None, Query(min_length=1)] = None,
    status_: Annotated[str | None, Query(alias="status", min_length=1)] = None,
) -> list[NotificationPublic]:
    if carer_id is None and status_ is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["query", "carer_id"],
                    "msg": "give a carer_id (or a status)",
                    "type": "missing",
                }
            ],
        )
    records = await notifications_seen_by(uow, principal, carer_id, status_)
    return [NotificationPublic.model_validate(r, from_attributes=True) for r in records]


@router.post("/notifications/receipts", summary="Delivery receipt from GOV.UK Notify")
async def receive_receipt(
    receipt: DeliveryReceipt, _notify: Notify, uow: UnitOfWork, clock: Clock
) -> dict[str, bool]:
    async with uow:
        found = await apply_receipt(
            uow,
            reference=receipt.reference,
            provider_id=receipt.id,
            reported=receipt.status,
            now=clock.now(),
        )
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "reference: no such notification")
    return {"recorded": True}


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:Arial,sans-serif;font-size:1.2rem;max-width:36rem;margin:2rem auto;
padding:0 1rem;line-height:1.5}}button{{font-size:1.2rem;padding:.6rem 1.2rem}}</style>
</head><body><main><h1>{title}</h1>{content}</main></body></html>"""


def _page(title: str, content: str, code: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), content=content), code)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe_page(token: str, _carer: UnsubscribingCarer) -> HTMLResponse:
    return _page(
        "Stop getting emails from us",
        "<p>We will stop sending you emails. We may still send a text or a letter if you "
        "asked us to.</p>"
        f'<form method="post" action="/unsubscribe/{escape(token)}">'
        "<button type=submit>Stop emails</button></form>",
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe(
    carer_id: UnsubscribingCarer, uow: UnitOfWork, clock: Clock, help_phone: HelpPhone
) -> HTMLResponse:
    async with uow:
        await unsubscribe_from_email(uow, carer_id, clock.now())
    return _page(
        "You will not get emails from us",
        "<p>We have stopped your emails. To start them again, call us on "
        f"{escape(help_phone)}.</p>",
    )
