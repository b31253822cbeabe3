"""quart-schema's pydantic adapters, built once per type instead of once per request.

quart-schema converts every answer (``TypeAdapter(dict).dump_python``) and validates every
request body (``TypeAdapter(model).validate_python``) through a ``TypeAdapter`` it builds on
the spot, and building one means generating the type's core schema: 9-11% of the CPU of
``GET /healthz``. An adapter is immutable once built, so one per type serves every request;
quart-schema has no hook for it and looks ``TypeAdapter`` up in its ``conversion`` module at
each call, where ``install`` puts a cached factory.
"""

from functools import lru_cache
from typing import Any

import quart_schema.conversion
from pydantic import TypeAdapter


@lru_cache(maxsize=512)
def cached_type_adapter(type_: Any) -> TypeAdapter[Any]:
    """The one ``TypeAdapter`` of ``type_``. The types are the application's models and the
    answers' containers (``dict``, ``list``): a bounded, small set."""
    return TypeAdapter(type_)


def install() -> None:
    """Make quart-schema's conversions use ``cached_type_adapter`` (idempotent)."""
    quart_schema.conversion.TypeAdapter = cached_type_adapter  # type: ignore[misc,assignment]
