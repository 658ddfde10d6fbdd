"""The notifications service's composition root.

One process runs the Kafka consumer (decides and records messages), the dispatcher (sends
them), the outbox relay (publishes ``notification.*``) and the HTTP API (staff view, delivery
receipts, unsubscribe). The dispatcher is the app's background job (``http_app(background=
...)``, as the referrals' overdue sweep is): it starts after the runtime and stops before it.
Tests that run the service without serving HTTP use :meth:`Notifications.start` / ``stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.notifications.adapters.providers.base import Provider
from services.notifications.adapters.providers.notify import NotifyProvider
from services.notifications.adapters.providers.smtp import SmtpProvider
from services.notifications.adapters.template_files import (
    DEFAULT_DIR,
    load_notice_templates,
    load_templates,
)
from services.notifications.domain import consent_notice
from services.notifications.domain.model import Contact
from services.notifications.domain.planning import Plan
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.retry import RetryPolicy
from services.notifications.entrypoints import http, kafka
from services.notifications.service_layer.dispatcher import Dispatcher
from services.notifications.service_layer.handlers import NotificationPolicy, make_handlers
from services.notifications.service_layer.signin_codes import ACCEPTED as SIGNIN_EVENTS
from services.notifications.service_layer.signin_codes import SigninCodes, signin_templates
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from services.notifications.settings import NotificationsSettings
from shared import topics
from shared.clock import Clock, SystemClock
from shared.events import OUTBOUND_BODIES, parse_event
from shared.messaging.leadership import Leadership
from shared.messaging.outbox import AfterPublishHook
from shared.messaging.processor import EventProcessor
from shared.runtime import ServiceRuntime, http_app
from shared.signin_code import code_key
from shared.topics import TOPICS

CONSUMED = {
    t: OUTBOUND_BODIES[t]
    for spec in TOPICS
    if spec.name in (topics.REGISTRY, topics.REFERRALS)
    for t in spec.event_types
}


@dataclass
class Notifications:
    settings: NotificationsSettings
    runtime: ServiceRuntime
    processor: EventProcessor[NotificationsUnitOfWork]
    dispatcher: Dispatcher
    providers: Mapping[str, Provider]
    clock: Clock
    app: FastAPI
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def unit_of_work(self) -> NotificationsUnitOfWork:
        return self.app.state.unit_of_work()  # type: ignore[no-any-return]

    async def start(self) -> None:
        """Start the runtime (database, broker, relay), then the dispatcher (as the app's
        lifespan does, for tests that do not serve HTTP)."""
        await self.runtime.start()
        if self.settings.dispatch and self._task is None:
            self._task = asyncio.create_task(
                dispatch_until_stopped(self.dispatcher, self.providers), name="dispatcher"
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await close_providers(self.providers)
        await self.runtime.stop()


async def dispatch_until_stopped(dispatcher: Dispatcher, providers: Mapping[str, Provider]) -> None:
    """The dispatcher until cancelled; then the providers' kept-open connections are closed."""
    try:
        await dispatcher.run()
    finally:
        await close_providers(providers)


async def close_providers(providers: Mapping[str, Provider]) -> None:
    for provider in {id(p): p for p in providers.values()}.values():  # Notify may serve both
        await provider.close()


def build_providers(settings: NotificationsSettings, clock: Clock) -> dict[str, Provider]:
    """One provider per channel, as settings say; email and SMS via Notify share one key,
    so they share one provider and one token bucket."""
    notify = NotifyProvider(
        api_key=settings.notify_api_key,
        base_url=settings.notify_base_url,
        email_template_id=settings.notify_email_template_id,
        sms_template_id=settings.notify_sms_template_id,
        clock=clock,
        rate_per_minute=settings.notify_rate_per_minute,
        timeout=settings.notify_timeout_seconds,
        concurrency=settings.dispatch_concurrency,
        sms_sender_id=settings.notify_sms_sender_id,
        email_reply_to_id=settings.notify_email_reply_to_id,
    )
    providers: dict[str, Provider] = {"sms": notify}
    if settings.email_provider == "notify":
        providers["email"] = notify
    else:
        providers["email"] = SmtpProvider(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            ca_file=settings.smtp_ca_file,
            timeout=settings.smtp_timeout_seconds,
            lookup_url=settings.smtp_lookup_url,
            unknown_outcome=settings.smtp_unknown_outcome,
            concurrency=settings.dispatch_concurrency,
        )
    return providers


def bootstrap(
    settings: NotificationsSettings | None = None,
    *,
    consume: bool = True,
    after_publish: AfterPublishHook | None = None,
    clock: Clock | None = None,
    providers: Mapping[str, Provider] | None = None,
) -> Notifications:
    settings = settings or NotificationsSettings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime.create(settings, consume=consume, after_publish=after_publish)
    templates = load_templates(
        Path(settings.templates_dir) if settings.templates_dir else DEFAULT_DIR
    )
    problems = templates.problems(settings.triggers.values())
    if problems:
        raise ValueError("templates: " + "; ".join(problems))
    quiet_hours = QuietHours.parse(
        settings.quiet_hours_start, settings.quiet_hours_end, settings.timezone
    )
    # A key of its own for unsubscribe links, derived so TOKEN_SECRET itself never signs them.
    unsubscribe_secret = hmac.new(
        settings.token_secret.encode(), b"notifications-unsubscribe", hashlib.sha256
    ).hexdigest()
    common = {"help_phone": settings.help_phone, "sender": settings.sender_name}
    notices = load_notice_templates()

    def plan_notice(contact: Contact, context: Mapping[str, Any]) -> Plan:
        return consent_notice.plan_consent_notice(
            contact,
            context["widened"],
            templates=notices,
            quiet_hours=quiet_hours,
            now=clock.now(),
            common={**common, "self_service_url": settings.self_service_url},
            timezone=settings.timezone,
        )

    policy = NotificationPolicy(
        templates=templates,
        quiet_hours=quiet_hours,
        clock=clock,
        triggers=dict(settings.triggers),
        help_phone=settings.help_phone,
        sender=settings.sender_name,
        public_url=settings.public_url,
        unsubscribe_secret=unsubscribe_secret,
        safeguards={consent_notice.TEMPLATE_ID: plan_notice},
    )
    providers = dict(providers) if providers is not None else build_providers(settings, clock)

    def unit_of_work() -> NotificationsUnitOfWork:
        uow = runtime.unit_of_work(NotificationsUnitOfWork)
        uow.on_ready = dispatcher.wake  # a message is ready: send it now, not at the next poll
        return uow

    codes = SigninCodes(
        signin_templates(),
        code_key(settings.token_secret),
        clock,
        settings.help_phone,
        settings.sender_name,
    )
    dispatcher = Dispatcher(
        unit_of_work,
        providers,
        clock,
        quiet_hours=quiet_hours,
        unsubscribe_url=policy.unsubscribe_url,
        retry=RetryPolicy(
            settings.max_attempts, settings.retry_base_seconds, settings.retry_cap_seconds
        ),
        batch_size=settings.dispatch_batch,
        poll_seconds=settings.dispatch_poll_seconds,
        leadership=Leadership(
            runtime.engine, "notifications-dispatcher", poll_seconds=settings.dispatch_poll_seconds
        ),
        reveal=codes.reveal,
    )
    handlers, batch_handlers = make_handlers(policy)
    processor = EventProcessor(
        "notifications",
        unit_of_work,
        handlers,
        partial(parse_event, accepted=CONSUMED),
        ignored=set(CONSUMED) - set(handlers) - set(batch_handlers),
        batch_handlers=batch_handlers,
    )
    signin_processor = EventProcessor(
        "notifications",
        unit_of_work,
        {"selfservice.code_requested": codes.on_code_requested},
        partial(parse_event, accepted=SIGNIN_EVENTS),
    )
    kafka.register_subscribers(runtime.broker, processor, settings, signin_processor)

    async def dispatch() -> None:
        await dispatch_until_stopped(dispatcher, providers)

    app = http_app(
        runtime,
        title="Carers Connect notifications",
        description="Email and SMS to carers, with consent, and never the same message twice.",
        background=[dispatch] if settings.dispatch else [],
    )
    service = Notifications(settings, runtime, processor, dispatcher, providers, clock, app)
    app.state.unit_of_work = unit_of_work  # entrypoints/deps.py: UnitOfWork, Clock, callers
    app.state.clock = clock
    app.state.callback_token = settings.callback_token
    app.state.unsubscribe_secret = unsubscribe_secret
    app.state.help_phone = settings.help_phone
    app.include_router(http.router)
    return service
