"""GET /settings: what a client needs before anything else."""

from typing import Any

from quart import Blueprint
from sqlmodel import select

from app.models import Device
from app.schemas_responses import Devices, documented
from app.state import state

bp = Blueprint("settings", __name__)


@bp.get("/settings")
@documented(Devices, 400, 503)
async def get_settings() -> dict[str, Any]:
    async with state().db() as db:
        devices = (await db.exec(select(Device).where(Device.enabled).order_by(Device.id))).all()
    return {"devices": [device.public() for device in devices]}
