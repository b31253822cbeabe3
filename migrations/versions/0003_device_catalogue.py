"""device catalogue: example rows for common USB medical devices

The rows are examples (see README.md, "USB medical devices"): the serial-bridge rows carry the
real ids of the USB-to-serial chips those instruments embed; the camera, audio and HID rows
carry ids of the pid.codes vendor (1209) as placeholders, to replace with the real models'.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXAMPLES = [
    ("USB video otoscope (example)", "otoscope", "1209", "0001", "video"),
    ("USB video dermatoscope (example)", "dermatoscope", "1209", "0002", "video"),
    ("USB intraoral camera (example)", "intraoral_camera", "1209", "0003", "video"),
    ("USB ophthalmoscope camera (example)", "ophthalmoscope", "1209", "0004", "video"),
    ("USB examination camera (example)", "examination_camera", "1209", "0005", "video"),
    ("USB electronic stethoscope (example)", "stethoscope", "1209", "0006", "audio"),
    ("USB ECG recorder, HID (example)", "ecg", "1209", "0007", "data"),
    ("USB spirometer, HID (example)", "spirometer", "1209", "0008", "data"),
    ("Pulse oximeter, Silicon Labs CP210x bridge", "pulse_oximeter", "10c4", "ea60", "data"),
    ("Pulse oximeter, Prolific PL2303 bridge", "pulse_oximeter", "067b", "2303", "data"),
    ("Thermometer, FTDI FT232R bridge", "thermometer", "0403", "6001", "data"),
    ("Blood pressure monitor, WCH CH340 bridge", "blood_pressure", "1a86", "7523", "data"),
]

_device = sa.table(
    "device",
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("vendor_id", sa.String),
    sa.column("product_id", sa.String),
    sa.column("media_kind", sa.String),
    sa.column("enabled", sa.Boolean),
)


def upgrade() -> None:
    op.bulk_insert(
        _device,
        [
            {
                "name": name,
                "kind": kind,
                "vendor_id": vendor_id,
                "product_id": product_id,
                "media_kind": media_kind,
                "enabled": True,
            }
            for name, kind, vendor_id, product_id, media_kind in EXAMPLES
        ],
    )


def downgrade() -> None:
    for _, _, vendor_id, product_id, _ in EXAMPLES:
        op.execute(
            _device.delete().where(
                (_device.c.vendor_id == vendor_id) & (_device.c.product_id == product_id)
            )
        )
