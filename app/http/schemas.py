"""Request bodies: these models validate requests and generate ``/openapi.json``.

Ids are bounded to PostgreSQL's integer, so that the document says so and no query gets one
the database cannot hold; ``app.input_guard`` has already refused what JSON should not carry.
"""

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from app.input_guard import ID_MAX


class CreateOneToOneRequest(BaseModel):
    """Optional: ``POST /onetoone`` with no body takes every default."""

    model_config = ConfigDict(strict=True, extra="forbid")

    e2ee: bool | None = Field(
        None,
        description="the participants' pages encrypt the media end to end, so that the server"
        " forwards what it cannot decode (default: the setting e2ee_default)",
    )
    doctor_name: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="the doctor's name as the patient's page shows it (\"Dr Martin\")",
    )


class ValidateRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    sessionId: int = Field(ge=1, le=ID_MAX, description="id of the pending session to admit")
    replace: bool = Field(
        True,
        description="log out the device that held the link (its sockets get sessionReplaced"
        " and are closed); false: both stay in",
    )


class RefuseRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    sessionId: int = Field(ge=1, le=ID_MAX, description="id of the pending session to refuse")


class InfosRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    data: dict[str, JsonValue] = Field(
        min_length=1, max_length=500, description="the form fields that changed"
    )


class MessageRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    text: str = Field(description="the message, stored and returned as is (never as HTML)")


class MessagesQuery(BaseModel):
    before: int | None = Field(None, ge=1, le=ID_MAX, description="only messages with a smaller id")
    limit: int = Field(50, ge=1, le=200, description="page size")
