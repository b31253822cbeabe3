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
