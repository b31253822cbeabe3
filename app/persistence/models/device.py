"""Device: a kind of USB medical device the platform knows."""

from typing import Any

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel


class Device(SQLModel, table=True):
    __tablename__ = "device"
    __table_args__ = (
        UniqueConstraint("vendor_id", "product_id", name="uq_device_usb_id"),
        CheckConstraint("media_kind IN ('video', 'audio', 'data')", name="ck_device_media_kind"),
        CheckConstraint("vendor_id ~ '^[0-9a-f]{4}$'", name="ck_device_vendor_id"),
        CheckConstraint("product_id ~ '^[0-9a-f]{4}$'", name="ck_device_product_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=64)
    vendor_id: str = Field(max_length=4)
    product_id: str = Field(max_length=4)
    media_kind: str = Field(max_length=8)
    enabled: bool = True

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "vendor_id": self.vendor_id,
            "product_id": self.product_id,
            "media_kind": self.media_kind,
            "enabled": self.enabled,
        }
