"""Response bodies, for ``/openapi.json`` only: the routes build their answers themselves.

They are declared with quart-schema's ``document_response``, never ``validate_response``, so
no answer pays for a validation; ``tests/test_fuzz_api.py`` checks the real answers against
them instead. Every model forbids extra keys, so that a field added to an answer but not here
fails that test. Times are ISO 8601 strings (``datetime.isoformat()``), documented as
``date-time``; ids are PostgreSQL integers.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema
from quart_schema import document_response


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(_Answer):
    """Every refusal: its status says which (503 comes with a Retry-After header)."""

    msg: str = Field(description="what went wrong, for a person to read")


class OneToOneOut(_Answer):
    id: int
    token: str
    status: Literal["active", "killed"]
    created_at: datetime
    updated_at: datetime
    killed_at: datetime | None
    e2ee: bool = Field(description="the media is encrypted end to end by the participants")
    doctor_name: str | None = Field(description="the doctor's name the patient's page shows")


class SessionOut(_Answer):
    id: int
    token: str
    onetoone_token: str
    role: Literal["medecin", "patient", "guest"]
    token_onetime_used: Literal[0, 1]
    validate_fromadmin: Literal[0, 1] = Field(description="0 while the doctor has not admitted it")
    created_at: datetime
    updated_at: datetime
    device_hint: str | None = Field(
        None, description='the device that opened it, from its User-Agent ("Chrome on Android")'
    )


class OpenedSessionOut(SessionOut):
    # Absent (not null) when the client re-opens the link it is already logged into.
    credential: str | SkipJsonSchema[None] = Field(
        None, description="a new credential, also set as the HttpOnly cookie hocovisio_session"
    )
    e2ee: bool = Field(description="the consultation's media is encrypted end to end")
    doctor_name: str | None = Field(None, description="the consultation's doctor, by name")


class DocumentOut(_Answer):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    session_id: int | None = Field(description="null once the uploader's session is deleted")
    created_at: datetime


class MessageOut(_Answer):
    id: int
    kind: Literal["text", "document"]
    body: str = Field(description="the text, or the document's name")
    session_id: int | None
    document_id: int | None
    document: DocumentOut | None
    created_at: datetime


class DeviceOut(_Answer):
    id: int
    name: str
    kind: str
    vendor_id: str = Field(pattern="^[0-9a-f]{4}$")
    product_id: str = Field(pattern="^[0-9a-f]{4}$")
    media_kind: Literal["video", "audio", "data"]
    enabled: bool


class ConnectedDeviceOut(_Answer):
    device: DeviceOut
    node: str | None
    peerId: int = Field(description="the session of the station that reported it")


class StatsDayOut(_Answer):
    day: date
    event: str
    count: int


class CreatedOneToOne(_Answer):
    """The new consultation and its three sessions (medecin, patient, guest)."""

    onetoone: OneToOneOut
    sessions: list[SessionOut] = Field(min_length=3, max_length=3)


class OpenedSession(_Answer):
    """The session the link opens (a new pending one when another client used it first)."""

    session: OpenedSessionOut


class Ended(_Answer):
    """The consultation is ended (or already was)."""


class Validated(_Answer):
    """The session admitted."""

    success: int = Field(description="the id of the admitted session")


class LeftWaitingRoom(_Answer):
    """The client left the waiting room: logged out, and off the doctor's list."""

    left: int = Field(description="the id of the session that left")


class RefusedSession(_Answer):
    """The session refused: logged out, and never admitted."""

    refused: int = Field(description="the id of the refused session")


class Form(_Answer):
    """The form: whole (GET), or the fields just changed (POST)."""

    id: int
    data: dict[str, JsonValue]


class UploadedDocument(_Answer):
    """The stored document."""

    document: DocumentOut


class PostedMessage(_Answer):
    """The stored message."""

    message: MessageOut


class MessagePage(_Answer):
    """A page of the history, oldest first."""

    messages: list[MessageOut]
    more: bool = Field(description="whether older messages remain")


class StatsCounts(_Answer):
    """Events counted over the range (every known event, 0 included) and per UTC day."""

    from_: date = Field(alias="from")
    to: date
    events: dict[str, int]
    days: list[StatsDayOut]


class Devices(_Answer):
    """Devices of the catalogue."""

    devices: list[DeviceOut]


class DeviceAnswer(_Answer):
    """The device as it is (or was, when removed)."""

    device: DeviceOut


class ConnectedDevices(_Answer):
    """Devices plugged into the consultation's stations now."""

    devices: list[ConnectedDeviceOut]


class Health(_Answer):
    """The process is alive."""

    status: Literal["ok"]


class ReadinessChecks(_Answer):
    database: str
    migrations: str
    workers: str


class Readiness(_Answer):
    """Each check is "ok" or says what is wrong; 503 when any is not ok."""

    status: Literal["ok", "unavailable"]
    checks: ReadinessChecks
    failed: list[str]


View = TypeVar("View", bound=Callable[..., object])


def documented(
    success: type[BaseModel] | None, *errors: int, status: int = 200
) -> Callable[[View], View]:
    """Document the answer ``success`` with ``status`` (None: not JSON, so not documented
    here), and ``Error`` for each of the ``errors`` statuses. Put it right under the route
    decorator, so that it marks the function the route registers."""

    def decorator(view: View) -> View:
        if success is not None:
            view = document_response(success, status)(view)
        for code in errors:
            view = document_response(Error, code)(view)
        return view

    return decorator
