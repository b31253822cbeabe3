"""Service settings, read from ``HOCOVISIO_*`` environment variables and ``DATABASE_URL``, then
from the TOML file ``config/hocovisio.toml`` (or the one ``HOCOVISIO_CONFIG`` names)."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import (
    AliasChoices,
    Field,
    IPvAnyNetwork,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DocumentType = Literal[
    "application/pdf", "image/png", "image/jpeg", "image/webp", "application/dicom", "text/plain"
]

# A TURN server as WebRTC's RTCIceServer.urls takes it: turn:host[:port][?transport=udp|tcp], or
# turns: (TLS).
TurnUrl = Annotated[str, StringConstraints(pattern=r"^turns?:[^\s?]+(\?transport=(udp|tcp))?$")]

# Where the clinic's backend listens for the webhooks.
WebhookUrl = Annotated[
    str, StringConstraints(pattern=r"^https?://[^\s/?#]+[^\s]*$", max_length=2048)
]

CONFIG_ENV = "HOCOVISIO_CONFIG"
DEFAULT_CONFIG_FILE = Path(__file__).resolve().parents[2] / "config" / "hocovisio.toml"


def config_file() -> Path:
    """The TOML file to read: ``HOCOVISIO_CONFIG`` when set, else the project's default."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE)


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
    # An invalid setting is named, its value never quoted: it may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="HOCOVISIO_", extra="ignore", hide_input_in_errors=True
    )

    host: str = Field("127.0.0.1", description="address to serve on")
    port: int = Field(8080, ge=1, le=65535, description="port to serve on")
    operator_key: SecretStr | None = Field(
        None, description="the clinic backend's key; generated into the data directory if unset"
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="embedded database, documents, operator key",
    )
    storage_dir: Path | None = Field(
        None,
        description="the documents' folder; instances sharing a database must share it too"
        " (unset: `documents` in the data directory)",
    )
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "HOCOVISIO_DATABASE_URL", "database_url"),
        description="postgresql://user:pass@host/db of an existing PostgreSQL; else embedded",
    )
    db_pool_size: int = Field(
        20, ge=1, le=1000, description="database connections kept open: the requests in flight"
    )
    db_pool_max_overflow: int = Field(
        10, ge=0, le=1000, description="extra connections opened under load, closed after"
    )
    db_statement_timeout: float = Field(
        5.0,
        gt=0,
        le=600,
        description="seconds a statement may run before PostgreSQL cancels it, and, one more"
        " second on, before the service gives up on a database that stopped answering: a 503"
        " with Retry-After, not a request hanging",
    )
    db_lock_timeout: float = Field(
        3.0,
        gt=0,
        le=600,
        description="seconds a statement may wait for a row lock before it fails (a 503)",
    )
    db_pool_timeout: float = Field(
        2.0,
        gt=0,
        le=60,
        description="seconds a request waits for a free database connection before a 503",
    )
    max_json_body_bytes: int = Field(64 * 1024, ge=1024, description="larger JSON bodies get 413")
    cookie_secure: bool = Field(
        False, description="always mark the session cookie Secure (it is whenever served over TLS)"
    )

    # Operations: TLS, proxies, logs, metrics, limits, shutdown.
    tls_certfile: Path | None = Field(None, description="PEM certificate: serve HTTPS and WSS")
    tls_keyfile: Path | None = Field(None, description="PEM private key of tls_certfile")
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="reverse proxies (IPs or CIDRs) whose X-Forwarded-For/-Proto and "
        "X-Request-ID are believed",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (https://host[:port]) whose pages may open the WebSocket and"
        " send the cookie-authenticated requests that change something; empty means this"
        " service's own origin only",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="least severe log level written"
    )
    log_format: Literal["text", "json"] = Field("text", description="log lines as text or JSON")
    access_log: bool = Field(True, description="one log line per HTTP request (tokens redacted)")
    metrics_token: SecretStr | None = Field(
        None, description="when set, GET /metrics needs Authorization: Bearer <metrics_token>"
    )
    shutdown_timeout: float = Field(
        5.0, gt=0, le=300, description="seconds open connections get to finish on SIGTERM"
    )
    rate_limit_enabled: bool = Field(True, description="answer 429 to callers over the limits")
    rate_limit_session_open: float = Field(
        120, gt=0, description="link openings per minute per link and per client address"
    )
    rate_limit_validate: float = Field(
        120, gt=0, description="validations per minute per credential and per client address"
    )
    rate_limit_upload: float = Field(
        60, gt=0, description="uploads per minute per credential and per client address"
    )
    rate_limit_messages: float = Field(
        60, gt=0, description="chat messages per minute per credential (HTTP and socket)"
    )
    rate_limit_socket_requests: float = Field(
        1200, gt=0, description="socket requests per minute per socket session"
    )
    rate_limit_socket_opens: float = Field(
        60,
        gt=0,
        description="sockets opened per minute per session (not per address: a clinic behind"
        " one NAT address opens many); beyond, the handshake gets 429",
    )
    rate_limit_burst: float = Field(
        1.0, gt=0, description="a client may spend this many minutes of allowance at once"
    )
    e2ee_default: bool = Field(
        False,
        description="new consultations are end-to-end encrypted unless POST /onetoone says e2ee",
    )
    max_sockets_per_session: int = Field(
        2,
        ge=1,
        le=100,
        description="open sockets per session; a new one beyond closes the oldest (code 4002)",
    )
    waiting_room_max: int = Field(
        10,
        ge=1,
        le=100,
        description="sessions that may wait at once in one consultation's waiting room; the"
        " next device that opens a used link gets 429 'the waiting room is full'",
    )
    waiting_room_arrivals: int = Field(
        30,
        ge=1,
        le=10000,
        description="devices that may start waiting in one consultation per minute, whatever"
        " link they open; the next gets 429 'the waiting room is full'",
    )
    waiting_room_refused_for: float = Field(
        900.0,
        ge=0,
        le=86400,
        description="seconds during which a device the doctor refused cannot ask again (its"
        " link answers 403 'the doctor did not let this device in')",
    )
    waiting_room_grace: float = Field(
        15.0,
        ge=1,
        le=3600,
        description="seconds a waiting session may stay without an open socket (its page"
        " closed, its network lost) before it leaves the waiting room",
    )
    websocket_compression: bool = Field(
        False,
        description="accept permessage-deflate on sockets (about 55 KiB more per open socket)",
    )
    tcp_keepalive_idle: int = Field(
        20,
        ge=0,
        le=7200,
        description="seconds a client connection may stay silent before the system probes it"
        " (TCP keepalive), so that a client whose network vanished is noticed (with"
        " tcp_user_timeout); 0: no probes",
    )
    tcp_user_timeout: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="seconds a client connection may leave what was sent unacknowledged (its"
        " network gone, or it stopped reading) before it is closed; 0: the system's default",
    )

    # Documents and chat inside a consultation.
    upload_max_bytes: int = Field(100 * 1024 * 1024, ge=1, description="largest document")
    upload_quota_bytes: int = Field(
        1024 * 1024 * 1024, ge=1, description="total size of one consultation's documents"
    )
    upload_allowed_types: list[DocumentType] = Field(
        default_factory=lambda: list(get_args(DocumentType)),
        description="accepted kinds of document, recognised by their content, not their name",
    )
    message_max_chars: int = Field(
        4000, ge=1, le=1_000_000, description="longest chat message; longer ones get 413"
    )
    form_max_bytes: int = Field(
        256 * 1024,
        ge=1024,
        description="largest medical form (its JSON, all fields together); beyond it 413",
    )

    # The SFU: mediasoup workers and what they offer.
    sfu_workers: int = Field(0, ge=0, description="worker processes; 0 means one per CPU core")
    sfu_log_level: Literal["debug", "warn", "error", "none"] = Field(
        "warn", description="the workers' log level"
    )
    sfu_log_tags: list[str] = Field(
        default_factory=lambda: ["info", "ice", "dtls"], description="the workers' log tags"
    )
    sfu_listen_ip: str = Field("127.0.0.1", description="address the RTC ports listen on")
    sfu_announced_address: str | None = Field(
        None, description="public IP or name given to clients, behind NAT"
    )
    sfu_rtc_port: int = Field(
        40000, ge=1024, le=65535, description="worker N listens on this port + N (UDP and TCP)"
    )
    sfu_codecs: list[Literal["opus", "VP8", "VP9", "H264"]] = Field(
        default_factory=lambda: ["opus", "VP8", "VP9", "H264"], description="codecs offered"
    )
    sfu_initial_outgoing_bitrate: int = Field(
        1_000_000, ge=100_000, description="bits/s first sent to each participant"
    )
    sfu_max_incoming_bitrate: int = Field(
        3_000_000, ge=100_000, description="bits/s accepted from each participant"
    )
    sfu_max_transports: int = Field(
        4, ge=2, le=100, description="WebRTC transports per participant socket"
    )
    sfu_max_producers: int = Field(
        8, ge=1, le=1000, description="streams sent per participant socket (a station: per device)"
    )
    sfu_max_consumers: int = Field(
        32, ge=1, le=1000, description="streams received per participant socket"
    )
    sfu_room_empty_timeout: float = Field(
        60.0, ge=0, description="seconds a consultation's router outlives its last participant"
    )
    turn_urls: list[TurnUrl] = Field(
        default_factory=list,
        description="TURN servers handed to clients (turn:/turns: URLs, coturn's REST-API scheme)",
    )
    turn_secret: SecretStr | None = Field(
        None, description="coturn's static-auth-secret: signs each client's TURN credential"
    )
    turn_credential_ttl: int = Field(
        43200, ge=60, le=7 * 86400, description="seconds a client's TURN credential is valid"
    )

    # Webhooks: the clinic's backend told what happens (app/services/webhooks.py).
    webhook_urls: list[WebhookUrl] = Field(
        default_factory=list, description="URLs the events are posted to (JSON list)"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="signs every post (HOCOVISIO-Signature: HMAC-SHA256)"
    )
    webhook_timeout: float = Field(10.0, gt=0, le=60, description="seconds a post may take")
    webhook_max_attempts: int = Field(
        12, ge=1, le=100, description="attempts before a delivery is marked dead"
    )
    webhook_retry_delay: float = Field(
        2.0, gt=0, le=3600, description="seconds before the first retry; doubled at each one"
    )

    # The monitor: ending stale consultations, deleting old ones, purging the audit.
    instance_name: str = Field(
        "",
        max_length=200,
        description="this instance's name among the others (empty: host name and port)",
    )
    instance_lease: float = Field(
        6.0,
        ge=1.0,
        le=300.0,
        description="seconds an instance counts as alive after its last heartbeat (one every"
        " third of it); the others then close its sockets and take its consultations over",
    )
    monitor_interval: float = Field(
        60.0, ge=0, description="seconds between monitor runs; 0 turns the periodic monitor off"
    )
    consultation_max_age: timedelta = Field(
        timedelta(hours=12), gt=timedelta(0), description="active consultations this old end"
    )
    consultation_idle_timeout: timedelta = Field(
        timedelta(hours=2), gt=timedelta(0), description="consultations idle this long end"
    )
    retention_period: timedelta = Field(
        timedelta(days=30), gt=timedelta(0), description="killed consultations are then deleted"
    )
    audit_retention_period: timedelta = Field(
        timedelta(days=365), gt=timedelta(0), description="audit rows are then deleted"
    )

    @property
    def documents_dir(self) -> Path:
        """Where documents are stored (``storage_dir``, else in the data directory)."""
        return self.storage_dir or self.data_dir / "documents"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment variables win over the TOML file."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return init_settings, env_settings, dotenv_settings, toml, file_secret_settings

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

    @model_validator(mode="after")
    def _tls_needs_both_files(self) -> "Settings":
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("tls_certfile and tls_keyfile are set together")
        return self

    @model_validator(mode="after")
    def _webhooks_need_their_secret(self) -> "Settings":
        if bool(self.webhook_urls) != (self.webhook_secret is not None):
            raise ValueError("webhook_urls and webhook_secret are set together")
        return self

    @model_validator(mode="after")
    def _turn_needs_its_secret(self) -> "Settings":
        if bool(self.turn_urls) != (self.turn_secret is not None):
            raise ValueError("turn_urls and turn_secret are set together")
        return self

    @field_validator(
        "operator_key",
        "database_url",
        "sfu_announced_address",
        "metrics_token",
        "tls_certfile",
        "tls_keyfile",
        "turn_secret",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
