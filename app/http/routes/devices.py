"""The device catalogue for integrators (operator key), and what is plugged in now."""

from typing import Any

from quart import Blueprint, request

from app.errors import Refused
from app.http.auth import operator_required, participant_required
from app.http.schemas_responses import ConnectedDevices, DeviceAnswer, Devices, documented
from app.runtime.state import state
from app.services import catalogue, device_registry
from app.services.sessions import Caller

bp = Blueprint("devices", __name__)


async def _body() -> dict[str, Any]:
    body = await request.get_json(force=True)
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    return body


@bp.get("/devices")
@documented(Devices, 400, 401, 503)
@operator_required
async def list_devices() -> dict[str, Any]:
    async with state().db() as db:
        devices = await catalogue.all_devices(db)
    return {"devices": [device.public() for device in devices]}


@bp.post("/devices")
@documented(DeviceAnswer, 400, 401, 409, 413, 503, status=201)
@operator_required
async def add_device() -> tuple[dict[str, Any], int]:
    body = await _body()
    new = catalogue.validated(
        body.get("name"),
        body.get("kind"),
        body.get("vendor_id"),
        body.get("product_id"),
        body.get("media_kind"),
        body.get("enabled", True),
    )
    async with state().db() as db:
        device = await catalogue.add(db, new)
    return {"device": device.public()}, 201


@bp.patch("/devices/<id:device_id>")
@documented(DeviceAnswer, 400, 401, 404, 413, 503)
@operator_required
async def enable_device(device_id: int) -> dict[str, Any]:
    enabled = (await _body()).get("enabled")
    if not isinstance(enabled, bool):
        raise Refused(400, "enabled must be true or false")
    async with state().db() as db:
        device = await catalogue.set_enabled(db, device_id, enabled)
    return {"device": device.public()}


@bp.delete("/devices/<id:device_id>")
@documented(DeviceAnswer, 400, 401, 404, 503)
@operator_required
async def remove_device(device_id: int) -> dict[str, Any]:
    async with state().db() as db:
        device = await catalogue.remove(db, device_id)
    return {"device": device.public()}


@bp.get("/devices/connected")
@documented(ConnectedDevices, 400, 401, 403, 503)
@participant_required()
async def connected_devices(caller: Caller) -> dict[str, Any]:
    async with state().db() as db:
        entries = await device_registry.connected(db, caller.onetoone_id)
    return {"devices": [entry.public() for entry in entries]}
