"""GET /settings: what a client needs before anything else."""

from typing import Any

from quart import Blueprint

from app.http.schemas_responses import Devices, documented
from app.runtime.state import state
from app.services import catalogue

bp = Blueprint("settings", __name__)


@bp.get("/settings")
@documented(Devices, 400, 503)
async def get_settings() -> dict[str, Any]:
    async with state().db() as db:
        devices = await catalogue.enabled_devices(db)
    return {"devices": [device.public() for device in devices]}
