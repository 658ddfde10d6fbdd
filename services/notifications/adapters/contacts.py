"""The carers' contact details this service keeps, and the audit of staff reads."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.adapters.orm import ContactRow, ReadAuditRow
from services.notifications.domain.model import Contact
from shared.messaging.tables import utcnow

CONTACTS = ContactRow.__table__  # type: ignore[attr-defined]


def _contact(row: ContactRow) -> Contact:
    document = json.loads(row.document)
    document["channels"] = tuple(document.get("channels") or ())
    return Contact(**document, email_opted_out=row.email_opted_out)


class ContactBook:
    """How to reach each carer: the registry's latest details plus their email opt-out."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def get(self, carer_ids: Iterable[str]) -> dict[str, Contact]:
        """The stored contact details of these carers (one query for a whole batch)."""
        query = select(ContactRow).where(col(ContactRow.carer_id).in_(set(carer_ids)))
        return {row.carer_id: _contact(row) for row in (await self._session.exec(query)).all()}

    async def save(self, contacts: Iterable[Contact]) -> list[Contact]:
        """Keep the registry's latest details; an earlier unsubscribe stays in force.

        Returns the contacts as stored (with their opt-out), the last one per carer winning.
        One upsert for the whole batch: the opt-out column is never written here.
        """
        latest = {c.carer_id: c for c in contacts}
        if not latest:
            return []
        now = utcnow()
        rows = []
        for carer_id, contact in latest.items():
            document = {k: v for k, v in contact.__dict__.items() if k != "email_opted_out"}
            document["channels"] = list(contact.channels)
            text = json.dumps(document, ensure_ascii=False)
            rows.append({"carer_id": carer_id, "document": text, "updated_at": now})
        await self._session.flush()  # pending ORM changes (an erasure) go first, in order
        upsert = (pg_insert if self._dialect == "postgresql" else sqlite_insert)(CONTACTS)
        statement = upsert.on_conflict_do_update(
            index_elements=[CONTACTS.c.carer_id],
            set_={"document": upsert.excluded.document, "updated_at": upsert.excluded.updated_at},
        ).returning(CONTACTS.c.carer_id, CONTACTS.c.email_opted_out)
        result = await self._session.execute(statement, rows)
        opted_out = {row.carer_id for row in result if row.email_opted_out}
        return [
            contact.opted_out_of_email() if carer_id in opted_out else contact
            for carer_id, contact in latest.items()
        ]

    async def opt_out_of_email(self, carer_id: str) -> bool:
        """False when we hold no details for this carer."""
        row = await self._session.get(ContactRow, carer_id)
        if row is None:
            return False
        row.email_opted_out, row.updated_at = True, utcnow()
        self._session.add(row)
        return True

    async def forget(self, carer_id: str) -> None:
        row = await self._session.get(ContactRow, carer_id)
        if row is not None:
            await self._session.delete(row)


class ReadAudit:
    """Every staff read of notifications: who, role, organisation, which carer or list."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def record(
        self, *, subject: str, role: str, org: str, action: str, carer_id: str | None
    ) -> None:
        """Record an allowed read in this transaction: a read writes nothing else."""
        self._session.add(
            ReadAuditRow(
                subject=subject,
                role=role,
                org=org,
                action=action,
                carer_id=carer_id,
                outcome="allowed",
            )
        )

    async def entries(self, carer_id: str | None = None) -> list[ReadAuditRow]:
        query = select(ReadAuditRow).order_by(col(ReadAuditRow.id))
        if carer_id is not None:
            query = query.where(ReadAuditRow.carer_id == carer_id)
        return list((await self._session.exec(query)).all())
