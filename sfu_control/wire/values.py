"""Reading decoded tables: their strings arrive as ``bytes``, their enums as ints."""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError
from . import fbs

_LOWER_NAMES: dict[Any, dict[int, str]] = {
    cls: {v: k.lower() for v, k in fbs.enum_names(cls).items()}
    for cls in (
        fbs.Protocol,
        fbs.SctpState,
        fbs.DtlsRole,
        fbs.DtlsState,
        fbs.IceRole,
        fbs.IceState,
        fbs.RtpType,
        fbs.MediaKind,
        fbs.DataProducerType,
    )
}


def enum_to_str(enum_cls: type, value: int | None) -> str | None:
    """Lower-case name of an enum value (``IceState.NEW`` -> ``"new"``)."""
    if value is None:
        return None
    return _LOWER_NAMES[enum_cls][value]


def enum_from_str(enum_cls: type, name: str) -> int:
    for value, lower in _LOWER_NAMES[enum_cls].items():
        if lower == name:
            return value
    raise ParameterError(f"invalid {enum_cls.__name__}: {name}")


def s(value: bytes | str | None) -> str | None:
    """Decode a FlatBuffers string."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def to_dict(obj: Any) -> Any:
    """Generic object-API table -> dict (camelCase keys, ``None`` dropped).

    Used for dumps whose exact shape does not matter to clients; the union
    discriminators (``xxxType`` next to ``xxx``) are dropped.
    """
    if isinstance(obj, bytes):
        return obj.decode("utf-8", errors="replace")
    if isinstance(obj, (list, tuple)):
        return [to_dict(item) for item in obj]
    if hasattr(obj, "tolist"):  # numpy arrays from [uint8] vectors
        return obj.tolist()
    if hasattr(obj, "__dict__") and type(obj).__name__.endswith("T"):
        fields = vars(obj)
        return {
            key: to_dict(value)
            for key, value in fields.items()
            if value is not None and not (key.endswith("Type") and key[:-4] in fields)
        }
    return obj
