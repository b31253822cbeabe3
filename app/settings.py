"""Service settings, read from ``HOCOVISIO_*`` environment variables and ``DATABASE_URL``."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Literal, get_args

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DocumentType = Literal[
    "application/pdf", "image/png", "image/jpeg", "image/webp", "application/dicom", "text/plain"
]


def _default_data_dir() -> Path:
    """Where state lives when no data directory is configured.

    As root the embedded PostgreSQL opens read/execute permission on every parent folder of
    its data directory, so root's default stays out of ``/root``.
    """
    if os.geteuid() == 0:
        return Path("/var/lib/hocovisio")
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "hocovisio"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOCOVISIO_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    operator_key: SecretStr | None = None
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "HOCOVISIO_DATABASE_URL")
    )
    max_json_body_bytes: int = Field(64 * 1024, ge=1024)
    cookie_secure: bool = False

    # Documents and chat inside a consultation.
    upload_max_bytes: int = Field(100 * 1024 * 1024, ge=1, description="largest document")
    upload_quota_bytes: int = Field(
        1024 * 1024 * 1024, ge=1, description="total size of one consultation's documents"
    )
    upload_allowed_types: list[DocumentType] = Field(
        default_factory=lambda: list(get_args(DocumentType)),
        description="accepted kinds of document, recognised by their content, not their name",
    )
    message_max_chars: int = Field(4000, ge=1, le=1_000_000)

    # The SFU: mediasoup workers and what they offer.
    sfu_workers: int = Field(0, ge=0, description="worker processes; 0 means one per CPU core")
    sfu_log_level: Literal["debug", "warn", "error", "none"] = "warn"
    sfu_log_tags: list[str] = Field(default_factory=lambda: ["info", "ice", "dtls"])
    sfu_listen_ip: str = "127.0.0.1"
    sfu_announced_address: str | None = None
    sfu_rtc_port: int = Field(
        40000, ge=1024, le=65535, description="worker N listens on this port + N (UDP and TCP)"
    )
    sfu_codecs: list[Literal["opus", "VP8", "VP9", "H264"]] = Field(
        default_factory=lambda: ["opus", "VP8", "VP9", "H264"]
    )
    sfu_initial_outgoing_bitrate: int = Field(1_000_000, ge=100_000)
    sfu_max_incoming_bitrate: int = Field(3_000_000, ge=100_000)
    sfu_room_empty_timeout: float = Field(
        60.0, ge=0, description="seconds a consultation's router outlives its last participant"
    )

    # The monitor: ending stale consultations, deleting old ones, purging the audit.
    monitor_interval: float = Field(
        60.0, ge=0, description="seconds between monitor runs; 0 turns the periodic monitor off"
    )
    consultation_max_age: timedelta = Field(timedelta(hours=12), gt=timedelta(0))
    consultation_idle_timeout: timedelta = Field(timedelta(hours=2), gt=timedelta(0))
    retention_period: timedelta = Field(
        timedelta(days=30), gt=timedelta(0), description="killed consultations are then deleted"
    )
    audit_retention_period: timedelta = Field(timedelta(days=365), gt=timedelta(0))

    @field_validator(
        "consultation_max_age",
        "consultation_idle_timeout",
        "retention_period",
        "audit_retention_period",
        mode="before",
    )
    @classmethod
    def _seconds_or_duration(cls, value: object) -> object:
        """A number of seconds (``7200``), or a duration (``PT2H``, ``02:00:00``, ``1 day``)."""
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value

    @field_validator("operator_key", "database_url", "sfu_announced_address", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
