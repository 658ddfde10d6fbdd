"""Notifications settings: ``NOTIFICATIONS_*`` and ``NOTIFY_*`` variables beside the
platform-wide ones.

Providers are chosen per channel: ``NOTIFICATIONS_EMAIL_PROVIDER=smtp|notify`` and
``NOTIFICATIONS_SMS_PROVIDER=notify``. With Notify, the wording stays in this service's
template files; Notify needs one pass-through template per channel whose content is
``((body))`` (email: subject ``((subject))``), named by ``NOTIFY_EMAIL_TEMPLATE_ID`` and
``NOTIFY_SMS_TEMPLATE_ID``. Outside development, secrets with development defaults and
unencrypted SMTP are refused at start-up.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.notifications.domain.model import DEFAULT_TRIGGERS
from shared.settings import ServiceSettings, env

DEV_CALLBACK_TOKEN = "development-only-notify-callback-token"
DRAMA_PHONE = "0116 496 0000"  # Ofcom's range for drama: never a real line


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "notifications"
    http_port: int = Field(8003, validation_alias=env("NOTIFICATIONS_HTTP_PORT"))
    http_host: str = Field(
        "127.0.0.1", validation_alias=env("NOTIFICATIONS_HTTP_HOST", "HTTP_HOST")
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///.data/notifications.db",
        validation_alias=env("NOTIFICATIONS_DATABASE_URL"),
    )

    # -- what to send, and when ----------------------------------------------------------------
    triggers: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TRIGGERS),
        validation_alias=env("NOTIFICATIONS_TRIGGERS"),
        description='JSON, event type -> template id: {"referral.created": "referral-created"}',
    )
    templates_dir: str | None = Field(None, validation_alias=env("NOTIFICATIONS_TEMPLATES_DIR"))
    quiet_hours_start: str = Field("21:00", validation_alias=env("NOTIFICATIONS_QUIET_HOURS_START"))
    quiet_hours_end: str = Field("08:00", validation_alias=env("NOTIFICATIONS_QUIET_HOURS_END"))
    timezone: str = Field("Europe/London", validation_alias=env("NOTIFICATIONS_TIMEZONE"))
    help_phone: str = Field(DRAMA_PHONE, validation_alias=env("NOTIFICATIONS_HELP_PHONE"))
    sender_name: str = Field(
        "Leicestershire County Council", validation_alias=env("NOTIFICATIONS_SENDER_NAME")
    )
    public_url: str = Field(
        "http://127.0.0.1:8003",
        validation_alias=env("NOTIFICATIONS_PUBLIC_URL"),
        description="where carers reach this service: unsubscribe links start with it",
    )
    self_service_url: str = Field(
        "http://127.0.0.1:8001/self-service",
        validation_alias=env("NOTIFICATIONS_SELF_SERVICE_URL"),
        description="where a carer says a consent change is wrong: the registry's self-service",
    )
    callback_token: str = Field(
        DEV_CALLBACK_TOKEN,
        validation_alias=env("NOTIFICATIONS_CALLBACK_TOKEN"),
        description="the bearer token Notify sends with delivery receipts",
    )

    # -- dispatching ----------------------------------------------------------------------------
    dispatch: bool = Field(True, validation_alias=env("NOTIFICATIONS_DISPATCH"))
    dispatch_batch: int = Field(100, ge=1, validation_alias=env("NOTIFICATIONS_DISPATCH_BATCH"))
    dispatch_concurrency: int = Field(
        8, ge=1, validation_alias=env("NOTIFICATIONS_DISPATCH_CONCURRENCY")
    )
    dispatch_poll_seconds: float = Field(
        1.0, gt=0, validation_alias=env("NOTIFICATIONS_DISPATCH_POLL_SECONDS")
    )
    max_attempts: int = Field(10, ge=1, validation_alias=env("NOTIFICATIONS_MAX_ATTEMPTS"))
    retry_base_seconds: float = Field(
        5.0, gt=0, validation_alias=env("NOTIFICATIONS_RETRY_BASE_SECONDS")
    )
    retry_cap_seconds: float = Field(
        900.0, gt=0, validation_alias=env("NOTIFICATIONS_RETRY_CAP_SECONDS")
    )

    # -- providers ------------------------------------------------------------------------------
    email_provider: Literal["smtp", "notify"] = Field(
        "smtp", validation_alias=env("NOTIFICATIONS_EMAIL_PROVIDER")
    )
    sms_provider: Literal["notify"] = Field(
        "notify", validation_alias=env("NOTIFICATIONS_SMS_PROVIDER")
    )
    smtp_host: str = Field("127.0.0.1", validation_alias=env("NOTIFICATIONS_SMTP_HOST"))
    smtp_port: int = Field(1025, validation_alias=env("NOTIFICATIONS_SMTP_PORT"))
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", validation_alias=env("NOTIFICATIONS_SMTP_SECURITY")
    )
    smtp_username: str | None = Field(None, validation_alias=env("NOTIFICATIONS_SMTP_USERNAME"))
    smtp_password: str | None = Field(None, validation_alias=env("NOTIFICATIONS_SMTP_PASSWORD"))
    smtp_ca_file: str | None = Field(None, validation_alias=env("NOTIFICATIONS_SMTP_CA_FILE"))
    smtp_from: str = Field(
        "Leicestershire County Council <carers.connect@localhost>",
        validation_alias=env("NOTIFICATIONS_SMTP_FROM"),
    )
    smtp_timeout_seconds: float = Field(
        30.0, gt=0, validation_alias=env("NOTIFICATIONS_SMTP_TIMEOUT_SECONDS")
    )
    smtp_lookup_url: str | None = Field(
        None,
        validation_alias=env("NOTIFICATIONS_SMTP_LOOKUP_URL"),
        description="a server answering GET /messages?message_id= (the local SMTP sink)",
    )
    smtp_unknown_outcome: Literal["resend", "give-up"] = Field(
        "resend",
        validation_alias=env("NOTIFICATIONS_SMTP_UNKNOWN_OUTCOME"),
        description="after a crash mid-send with no way to ask the server: see adapters/smtp",
    )
    notify_base_url: str = Field(
        "https://api.notifications.service.gov.uk", validation_alias=env("NOTIFY_BASE_URL")
    )
    notify_api_key: str | None = Field(None, validation_alias=env("NOTIFY_API_KEY"))
    notify_email_template_id: str | None = Field(
        None, validation_alias=env("NOTIFY_EMAIL_TEMPLATE_ID")
    )
    notify_sms_template_id: str | None = Field(None, validation_alias=env("NOTIFY_SMS_TEMPLATE_ID"))
    notify_sms_sender_id: str | None = Field(None, validation_alias=env("NOTIFY_SMS_SENDER_ID"))
    notify_email_reply_to_id: str | None = Field(
        None, validation_alias=env("NOTIFY_EMAIL_REPLY_TO_ID")
    )
    notify_timeout_seconds: float = Field(
        10.0, gt=0, validation_alias=env("NOTIFY_TIMEOUT_SECONDS")
    )
    notify_rate_per_minute: int = Field(
        3000, ge=0, validation_alias=env("NOTIFY_RATE_PER_MINUTE"), description="0: no limit"
    )

    @field_validator("triggers", mode="before")
    @classmethod
    def _triggers_from_json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @property
    def uses_notify(self) -> bool:
        return self.email_provider == "notify" or self.sms_provider == "notify"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> NotificationsSettings:
        if self.environment != "production":
            return self
        if self.callback_token == DEV_CALLBACK_TOKEN or len(self.callback_token) < 32:
            raise ValueError("NOTIFICATIONS_CALLBACK_TOKEN: set a secret of 32+ characters")
        if self.help_phone == DRAMA_PHONE:
            raise ValueError("NOTIFICATIONS_HELP_PHONE: set the number carers should call")
        if not self.public_url.startswith("https://"):
            raise ValueError("NOTIFICATIONS_PUBLIC_URL: unsubscribe links must be https")
        if self.email_provider == "smtp" and self.smtp_security == "none":
            raise ValueError("NOTIFICATIONS_SMTP_SECURITY: use starttls or tls in production")
        if self.uses_notify and not (self.notify_api_key and self.notify_sms_template_id):
            raise ValueError("NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID are needed for texts")
        if self.email_provider == "notify" and not self.notify_email_template_id:
            raise ValueError("NOTIFY_EMAIL_TEMPLATE_ID: needed to send email through Notify")
        return self
