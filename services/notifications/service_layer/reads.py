"""Staff reading what was sent: every read is audited (contract 6.4), never the messages."""

from __future__ import annotations

from services.notifications.domain.send_record import SendRecord
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.auth import Principal


async def notifications_seen_by(
    uow: NotificationsUnitOfWork,
    caller: Principal,
    carer_id: str | None = None,
    status: str | None = None,
) -> list[SendRecord]:
    """One carer's messages (or those in one status), with the read recorded: who, role,
    organisation and which carer or status list, in the same transaction."""
    async with uow:
        records = await uow.sends.listed(carer_id, status)
        uow.read_audit.record(
            subject=caller.subject,
            role=caller.role,
            org=caller.org,
            action="list_for_carer" if carer_id is not None else "list_by_status",
            carer_id=carer_id[:36] if carer_id is not None else None,
        )
        await uow.commit()
    return records
