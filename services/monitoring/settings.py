"""Monitoring settings: ``MONITORING_*`` variables beside the platform-wide ones."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, env

SAMPLE_DISTRICTS = Path(__file__).parent / "data" / "districts-sample.csv"


class MonitoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "monitoring"
    http_port: int = Field(8005, validation_alias=env("MONITORING_HTTP_PORT"))
    http_host: str = Field("127.0.0.1", validation_alias=env("MONITORING_HTTP_HOST", "HTTP_HOST"))
    database_url: str = Field(
        "sqlite+aiosqlite:///.data/monitoring.db", validation_alias=env("MONITORING_DATABASE_URL")
    )
    districts_csv: str = Field(
        str(SAMPLE_DISTRICTS),
        validation_alias=env("MONITORING_DISTRICTS_CSV"),
        description="postcode district (outward code) to council district, as a CSV with "
        "columns postcode_district,district; the default is a small sample, not the "
        "council's table",
    )
