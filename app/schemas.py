"""Request bodies: these models validate requests and generate ``/openapi.json``."""

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class ValidateRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    sessionId: int = Field(gt=0, description="id of the pending session to admit")


class InfosRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    data: dict[str, JsonValue] = Field(
        min_length=1, max_length=500, description="the form fields that changed"
    )


class MessageRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    text: str = Field(description="the message, stored and returned as is (never as HTML)")


class MessagesQuery(BaseModel):
    before: int | None = Field(None, gt=0, description="only messages with a smaller id")
    limit: int = Field(50, ge=1, le=200, description="page size")
