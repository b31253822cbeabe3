"""The device catalogue: which USB models (vendor id, product id) the platform knows.

A new model is one row, added by an integrator (``hocovisio devices add`` or ``POST
/devices``); no code knows a particular model.
"""

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.models import Device

MEDIA_KINDS = ("video", "audio", "data")
_USB_ID = re.compile(r"^(0x)?[0-9a-fA-F]{4}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class NewDevice:
    name: str
    kind: str
    vendor_id: str
    product_id: str
    media_kind: str
    enabled: bool = True


def usb_id(value: object, field: str) -> str:
    """``value`` as a lowercase 4-hex USB id (``0C45`` and ``0x0c45`` are accepted)."""
    if not isinstance(value, str) or not _USB_ID.match(value.strip()):
        raise Refused(400, f"{field} must be 4 hexadecimal digits, like 0c45")
    return value.strip().lower().removeprefix("0x")


def validated(
    name: object,
    kind: object,
    vendor_id: object,
    product_id: object,
    media_kind: object,
    enabled: object = True,
) -> NewDevice:
    """A catalogue row from untrusted input, or the first reason it is not one."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise Refused(400, "name must be a non-empty text of at most 200 characters")
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise Refused(
            400, "kind must be lowercase letters, digits or _ (like otoscope), at most 64"
        )
    if media_kind not in MEDIA_KINDS:
        raise Refused(400, f"media_kind must be one of {', '.join(MEDIA_KINDS)}")
    if not isinstance(enabled, bool):
        raise Refused(400, "enabled must be true or false")
    return NewDevice(
        name=name.strip(),
        kind=kind,
        vendor_id=usb_id(vendor_id, "vendor_id"),
        product_id=usb_id(product_id, "product_id"),
        media_kind=media_kind,
        enabled=enabled,
    )


async def all_devices(db: AsyncSession) -> list[Device]:
    return list((await db.exec(select(Device).order_by(Device.id))).all())


async def enabled_devices(db: AsyncSession) -> list[Device]:
    """What a client may plug in (``GET /settings``)."""
    return list((await db.exec(select(Device).where(Device.enabled).order_by(Device.id))).all())


async def find(db: AsyncSession, vendor_id: str, product_id: str) -> Device | None:
    return (
        await db.exec(
            select(Device).where(Device.vendor_id == vendor_id, Device.product_id == product_id)
        )
    ).first()


async def add(db: AsyncSession, new: NewDevice) -> Device:
    """Insert and commit ``new``; 409 when its vendor/product id is already catalogued."""
    existing = await find(db, new.vendor_id, new.product_id)
    if existing is not None:
        raise _duplicate(existing)
    device = Device(**new.__dict__)
    db.add(device)
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        existing = await find(db, new.vendor_id, new.product_id)
        raise _duplicate(existing) from None
    await db.refresh(device)
    return device


def _duplicate(existing: Device | None) -> Refused:
    if existing is None:
        return Refused(409, "this vendor_id/product_id is already in the catalogue")
    return Refused(
        409,
        f"{existing.vendor_id}:{existing.product_id} is already in the catalogue "
        f"as #{existing.id} {existing.name!r}",
    )


async def get(db: AsyncSession, device_id: int) -> Device:
    device = await db.get(Device, device_id)
    if device is None:
        raise Refused(404, f"no device #{device_id} in the catalogue")
    return device


async def remove(db: AsyncSession, device_id: int) -> Device:
    device = await get(db, device_id)
    await db.delete(device)
    await db.commit()
    return device


async def set_enabled(db: AsyncSession, device_id: int, enabled: bool) -> Device:
    device = await get(db, device_id)
    device.enabled = enabled
    db.add(device)
    await db.commit()
    await db.refresh(device)
    return device
