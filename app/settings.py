"""Service settings, read from ``HOCOVISIO_*`` environment variables and ``DATABASE_URL``."""

import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @field_validator("operator_key", "database_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
