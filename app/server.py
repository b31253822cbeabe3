"""``create_app``: the Quart application, assembled from its parts.

The HTTP hooks (in the order a request meets them), the blueprints of the routes and of the
socket, the one state object (``app.runtime.state``) and the one lifespan
(``app.runtime.lifespan``) that starts and stops what needs it.
"""

import os
import socket

from quart import Quart
from quart_schema import QuartSchema

from app.config.settings import Settings
from app.http import errors, metrics, ratelimit, request_guard, schema_adapters, security
from app.http.request_guard import GuardedOpenAPIProvider, GuardedRequest
from app.http.routes import (
    devices,
    documents,
    health,
    medical_info,
    messages,
    onetoone,
    session,
    settings,
    stats,
    web,
)
from app.http.streaming import StreamingHTTPConnection, finish_unread_body
from app.media.rooms import MediaRooms
from app.persistence.db import create_engine, libpq_url, session_factory
from app.persistence.statements import STALLED_MARGIN, Statements
from app.persistence.storage import LocalStorage
from app.realtime.backbone import Backbone, Hooks
from app.realtime.broker import Broker
from app.realtime.relay import Relay
from app.runtime.lifespan import lifespan
from app.runtime.metrics import Metrics
from app.runtime.state import EXTENSION, AppState
from app.services.instances import Instance
from app.services.media_homes import MediaHomes
from app.services.rate_limits import RateLimits
from app.ws import contract, hub
from app.ws import media as media_requests


def create_app(config: Settings | None = None) -> Quart:
    config = config or Settings()
    if config.database_url is None:
        raise ValueError("DATABASE_URL is not set")
    hocovisio = _state(config)
    app = Quart(__name__)
    app.extensions[EXTENSION] = hocovisio
    app.request_class = GuardedRequest
    app.asgi_http_class = StreamingHTTPConnection
    app.after_request(finish_unread_body)
    app.config["MAX_CONTENT_LENGTH"] = config.max_json_body_bytes
    # /docs loads swagger-ui from the web client's build (web/build.mjs), not from a CDN.
    app.config["QUART_SCHEMA_SWAGGER_JS_URL"] = "/assets/swagger-ui/swagger-ui-bundle.js"
    app.config["QUART_SCHEMA_SWAGGER_CSS_URL"] = "/assets/swagger-ui/swagger-ui.css"
    schema_adapters.install()
    QuartSchema(
        app,
        info={"title": "HOCOVISIO", "version": "0.1.0"},
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        openapi_provider_class=GuardedOpenAPIProvider,
    )
    errors.install(app)
    # Order matters: time the request, identify it, refuse hostile input, then count it
    # against the limits.
    metrics.install(app, hocovisio.metrics)
    security.install(app)
    request_guard.install(app)
    ratelimit.install(app)
    resources = (health, settings, onetoone, session, medical_info, documents, messages, devices)
    for module in (*resources, stats, hub, contract, web):
        app.register_blueprint(module.bp)
    app.while_serving(lifespan(hocovisio))
    return app


def _state(config: Settings) -> AppState:
    assert config.database_url is not None
    engine = create_engine(
        config.database_url,
        pool_size=config.db_pool_size,
        max_overflow=config.db_pool_max_overflow,
        pool_timeout=config.db_pool_timeout,
        statement_timeout=config.db_statement_timeout,
        lock_timeout=config.db_lock_timeout,
    )
    broker = Broker()
    sql = Statements(engine, config.db_statement_timeout + STALLED_MARGIN)
    media = MediaRooms(config, sql)
    instance = Instance(
        config.instance_name or _default_name(config), config.instance_lease, _rtc(config)
    )
    homes = MediaHomes(sql)
    relay = Relay(sql, lambda: instance.id, serve=media_requests.serve, leave=media.leave)
    return AppState(
        settings=config,
        engine=engine,
        db=session_factory(engine),
        sql=sql,
        broker=broker,
        backbone=Backbone(
            libpq_url(config.database_url),
            broker,
            sql,
            lambda: instance.id,
            _hooks(media, homes, relay),
            lease=config.instance_lease,
        ),
        instance=instance,
        homes=homes,
        relay=relay,
        storage=LocalStorage(config.documents_dir),
        media=media,
        rate_limits=RateLimits(config),
        metrics=Metrics(),
    )


def _hooks(media: MediaRooms, homes: MediaHomes, relay: Relay) -> Hooks:
    def ended(onetoone_id: int) -> None:
        media.close_room(onetoone_id)
        relay.consultation_ended(onetoone_id)
        homes.forget(onetoone_id)

    def gone(instance_id: int) -> None:
        relay.instance_gone(instance_id)
        homes.instance_gone(instance_id)

    return Hooks(ended=ended, reset=homes.forget, gone=gone, message=relay.handle)


def _rtc(config: Settings) -> str:
    """``address:first-last`` of the RTC ports (one per worker), UDP and TCP."""
    first = config.sfu_rtc_port
    last = first + (config.sfu_workers or os.cpu_count() or 1) - 1
    return f"{config.sfu_announced_address or config.sfu_listen_ip}:{first}-{last}"


def _default_name(config: Settings) -> str:
    return f"{socket.gethostname()}:{config.port}"
