"""HOCOVISIO: the Quart application."""

from quart import Quart
from quart_schema import QuartSchema

from app.broker import Broker
from app.db import create_engine, session_factory
from app.errors import register_error_handlers
from app.routes import medical_info, onetoone, session, settings
from app.settings import Settings
from app.state import AppState
from app.storage import LocalStorage
from app.ws import hub, presence  # noqa: F401  (presence registers its socket requests)


def create_app(config: Settings | None = None) -> Quart:
    config = config or Settings()
    if config.database_url is None:
        raise ValueError("DATABASE_URL is not set")
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_json_body_bytes
    QuartSchema(
        app,
        info={"title": "HOCOVISIO", "version": "0.1.0"},
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
    )
    register_error_handlers(app)
    for blueprint in (settings.bp, onetoone.bp, session.bp, medical_info.bp, hub.bp):
        app.register_blueprint(blueprint)

    engine = create_engine(config.database_url)
    app.extensions["hocovisio"] = AppState(
        settings=config,
        engine=engine,
        db=session_factory(engine),
        broker=Broker(),
        storage=LocalStorage(config.data_dir / "documents"),
    )

    @app.after_serving
    async def dispose_engine() -> None:
        await engine.dispose()

    return app
