"""HOCOVISIO: the Quart application."""

from quart import Quart
from quart_schema import QuartSchema

from app import metrics, ratelimit, request_guard, security
from app.broker import Broker
from app.db import create_engine, session_factory
from app.errors import register_error_handlers
from app.media.rooms import MediaRooms
from app.monitor_task import MonitorTask
from app.request_guard import GuardedOpenAPIProvider, GuardedRequest
from app.routes import (
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
from app.settings import Settings
from app.state import AppState
from app.storage import LocalStorage
from app.streaming import StreamingHTTPConnection, finish_unread_body
from app.ws import chat, hub, media, presence  # noqa: F401  (they register socket requests)


def create_app(config: Settings | None = None) -> Quart:
    config = config or Settings()
    if config.database_url is None:
        raise ValueError("DATABASE_URL is not set")
    app = Quart(__name__)
    app.request_class = GuardedRequest
    app.asgi_http_class = StreamingHTTPConnection
    app.after_request(finish_unread_body)
    app.config["MAX_CONTENT_LENGTH"] = config.max_json_body_bytes
    # /docs loads swagger-ui from the web client's build (web/build.mjs), not from a CDN.
    app.config["QUART_SCHEMA_SWAGGER_JS_URL"] = "/assets/swagger-ui/swagger-ui-bundle.js"
    app.config["QUART_SCHEMA_SWAGGER_CSS_URL"] = "/assets/swagger-ui/swagger-ui.css"
    QuartSchema(
        app,
        info={"title": "HOCOVISIO", "version": "0.1.0"},
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        openapi_provider_class=GuardedOpenAPIProvider,
    )
    register_error_handlers(app)
    # Order matters: time the request, identify it, refuse hostile input, then count it
    # against the limits.
    metrics.install(app)
    security.install(app)
    request_guard.install(app)
    ratelimit.install(app, config)
    resources = (health, settings, onetoone, session, medical_info, documents, messages, devices)
    for module in (*resources, stats, hub, web):
        app.register_blueprint(module.bp)

    engine = create_engine(
        config.database_url,
        pool_size=config.db_pool_size,
        max_overflow=config.db_pool_max_overflow,
        pool_timeout=config.db_pool_timeout,
    )
    broker = Broker()
    rooms = MediaRooms(config, broker)
    app.extensions["hocovisio"] = AppState(
        settings=config,
        engine=engine,
        db=session_factory(engine),
        broker=broker,
        storage=LocalStorage(config.data_dir / "documents"),
        media=rooms,
    )

    # Registered first, so that it stops before the SFU and the database engine do.
    monitor_task = MonitorTask(app.extensions["hocovisio"])
    app.before_serving(monitor_task.start)
    app.after_serving(monitor_task.stop)

    @app.before_serving
    async def start_sfu() -> None:
        await rooms.start()

    @app.after_serving
    async def stop() -> None:
        await rooms.close()
        await engine.dispose()

    return app
