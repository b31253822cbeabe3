"""Encoding and decoding of channel messages, by the codec emitted at set-up.

``_fbs/codec.py`` is written by ``codegen`` from mediasoup's schemas (``make fbs``);
this module is its entry point. The codec refuses, with ``CodecError``, a value
outside its wire type and a missing required field (the worker would crash on
them), and bytes it cannot read.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from ..errors import CodecError
from .layout import Decoder, Encoder, u32

SCHEMA_DIR = Path(__file__).parent / "_fbs" / "schema"

_U32_PAIR = struct.Struct("<II")


class _NotGenerated(dict[str, Any]):
    """Stands for the codec's tables while ``_fbs/codec.py`` does not exist yet.

    ``codegen``, which writes it, runs with this package imported; any other use
    fails at its first message with the way to generate it.
    """

    def __missing__(self, key: str) -> Any:
        raise ImportError(
            "sfu_control's codec is not generated: run `make fbs` "
            "(scripts/gen_fbs.sh <mediasoup npm package dir>)"
        )


try:
    from ._fbs.codec import DECODERS, ENCODERS
except ModuleNotFoundError as error:  # pragma: no cover - depends on the set-up step
    if error.name not in (f"{__package__}._fbs", f"{__package__}._fbs.codec"):
        raise
    ENCODERS: dict[str, Encoder] = _NotGenerated()
    DECODERS: dict[str, Decoder] = _NotGenerated()


def encode(obj: Any, table_name: str = "FBS.Message.Message") -> bytes:
    """``obj`` (an object-API ``*T``) as a size-prefixed FlatBuffer of ``table_name``."""
    buf = bytearray(8)
    try:
        root = ENCODERS[table_name](buf, obj, None)
    except (TypeError, AttributeError, KeyError) as error:
        raise CodecError(f"cannot encode {table_name}: {error!r}") from None
    _U32_PAIR.pack_into(buf, 0, len(buf) - 4, root - 4)
    return bytes(buf)


def decode(payload: bytes, table_name: str = "FBS.Message.Message") -> Any:
    """A FlatBuffer of ``table_name`` (without its size prefix) as an object-API ``*T``."""
    try:
        return DECODERS[table_name](payload, u32(payload, 0)[0])
    except (struct.error, IndexError, KeyError) as error:
        raise CodecError(f"malformed {table_name}: {error!r}") from None
