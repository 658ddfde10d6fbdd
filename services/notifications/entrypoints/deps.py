"""The one way a notifications route reaches what it needs: ``Annotated`` FastAPI dependencies.

Why one module: routes read ``request.app.state`` by hand (the unit of work, the clock, the
callback token, the unsubscribe secret), so what a route depended on was hidden in its body
and a test could not see it from the signature. Now a route says so in its parameters::

    async def receive_receipt(receipt: DeliveryReceipt, uow: UnitOfWork, clock: Clock,
                              _notify: Notify) -> ...

``bootstrap()`` puts the factory, the clock and the secrets on ``app.state``; a test swaps
either there (``app.state.clock = VirtualClock(...)``) and every route sees it.
``UnitOfWork`` is a fresh, not yet entered unit of work: the service layer opens it.

Callers: council staff or an administrator (:func:`shared.auth.require_role`: 401 without a
token, 403 with the wrong role); GOV.UK Notify calling back with the bearer token configured
in Notify (401 otherwise); a carer holding an unsubscribe link we signed (404 otherwise).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from services.notifications.domain.model import carer_for_unsubscribe_token
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock as clocks
from shared.auth import Principal, require_role


def unit_of_work(request: Request) -> NotificationsUnitOfWork:
    """A new unit of work from the factory ``bootstrap()`` wired (it wakes the dispatcher)."""
    factory: Callable[[], NotificationsUnitOfWork] = request.app.state.unit_of_work
    return factory()


def clock(request: Request) -> clocks.Clock:
    """The service's clock: :class:`shared.clock.SystemClock` unless a test set another."""
    chosen: clocks.Clock = request.app.state.clock
    return chosen


def notify_callback(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """GOV.UK Notify, by the bearer token set in Notify for delivery receipts."""
    expected = f"Bearer {request.app.state.callback_token}"
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


def unsubscribing_carer(request: Request, token: str) -> str:
    """The carer an unsubscribe link names, when we signed it."""
    carer_id = carer_for_unsubscribe_token(request.app.state.unsubscribe_secret, token)
    if carer_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this link is not valid")
    return carer_id


def help_phone(request: Request) -> str:
    """The number carers are told to call."""
    return str(request.app.state.help_phone)


UnitOfWork = Annotated[NotificationsUnitOfWork, Depends(unit_of_work)]
Clock = Annotated[clocks.Clock, Depends(clock)]
HelpPhone = Annotated[str, Depends(help_phone)]

# -- callers: who may use a route ------------------------------------------------------------

Staff = Annotated[Principal, Depends(require_role("council", "admin"))]
"""Council staff or an administrator: what was sent to a carer."""
Notify = Annotated[None, Depends(notify_callback)]
"""GOV.UK Notify calling back with a delivery receipt."""
UnsubscribingCarer = Annotated[str, Depends(unsubscribing_carer)]
"""The carer (id) named by a signed unsubscribe link."""
