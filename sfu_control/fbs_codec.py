"""FlatBuffers encoding and decoding of channel messages, compiled from mediasoup's schemas.

The generated bindings' object API (``MessageT.Pack`` / ``InitFromObj``) goes
through the ``flatbuffers`` runtime one scalar at a time: a dozen Python calls per
field. That was most of the controller's CPU time per request (see
``bench/RESULTS.md``). This codec reads the same ``*T`` objects and produces the
same ``*T`` objects, with one encoder and one decoder function per table,
generated once from the ``.fbs`` files (on first use) as straight-line Python: a
table's scalars are written with one ``struct.pack`` and each field is read with
one lookup, with no per-field dispatch.

The encoder lays the buffer out front to back (each table's vtable just before
it, children after their parent), which the format allows: the references from a
table to its strings, vectors and sub-tables are unsigned offsets pointing
forward, and a table's reference to its vtable is signed. Every scalar is aligned
to its size relative to the start of the size-prefixed frame, as the flatbuffers
builder does. ``codec_source()`` shows the generated code.
"""

from __future__ import annotations

import importlib
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import CodecError
from .fbs_schema import SCALARS, Field, Schema, SchemaError, Table, load_schema

SCHEMA_DIR = Path(__file__).parent / "_fbs" / "schema"

_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_U32_PAIR = struct.Struct("<II")
_u32 = _U32.unpack_from
_pack = struct.pack
_pack_into = _U32.pack_into

Encoder = Callable[[bytearray, Any, Any], int]
Decoder = Callable[[bytes, int], Any]


# ----------------------------------------------------- helpers of the generated code


class _Layouts(dict[int, tuple[bytes, struct.Struct, tuple[int, ...]]]):
    """A table's byte layouts, computed once per set of present fields and alignment.

    Keyed by ``present << 3 | len(buf) % 8`` (``present`` has bit ``1 << slot`` set
    for each field written): the same fields at the same alignment always give the
    same vtable, padding, soffset, inline struct and child offsets, so ``_finish``
    writes a table with one lookup, one prefix and one ``pack``.
    """

    MAX = 1024  # layouts kept per table; a rarer one is computed each time

    def __init__(self, name: str, slots: int, inline: list[tuple[int, str, bool]]) -> None:
        super().__init__()
        self.name = name
        self.slots = slots
        self.inline = inline  # (slot, struct format, is a child offset), widest first

    def __missing__(self, key: int) -> tuple[bytes, struct.Struct, tuple[int, ...]]:
        present, misalignment = key >> 3, key & 7
        vtable = [0] * self.slots
        formats, children, size = "<", [], 4
        for slot, fmt, child in self.inline:
            if present >> slot & 1:
                vtable[slot] = size
                if child:
                    children.append(size)
                size += struct.calcsize(fmt)
                formats += fmt
        start = misalignment + (misalignment & 1)  # vtables are 2-byte aligned
        table = start + 4 + 2 * self.slots
        # With 8-byte fields (they come first), 8-align what follows the 4-byte soffset.
        pad = (4 - table) % 8 if formats[1:2] in ("q", "Q", "d") else -table & 3
        prefix = b"".join(
            (
                bytes(start - misalignment),
                struct.pack(f"<{self.slots + 2}H", 4 + 2 * self.slots, size, *vtable),
                bytes(pad),
                _I32.pack(table + pad - start),
            )
        )
        layout = (prefix, struct.Struct(formats), tuple(children))
        if len(self) < self.MAX:
            self[key] = layout
        return layout


def _finish(
    buf: bytearray, layouts: _Layouts, present: int, scalars: list[Any], children: list[tuple]
) -> int:
    """Append a table (its vtable, inline fields, then children); return its position.

    ``scalars`` are the present inline fields widest first (0 for a child's offset),
    ``children`` the ``(writer, value, argument)`` of its strings, vectors and tables.
    """
    prefix, fields, offsets = layouts[present << 3 | len(buf) & 7]
    buf += prefix
    table = len(buf) - 4
    try:
        buf += fields.pack(*scalars)
    except struct.error as error:
        raise CodecError(f"{layouts.name}: {error}") from None
    for offset, (writer, value, argument) in zip(offsets, children, strict=True):
        child = writer(buf, value, argument)
        offset += table
        _pack_into(buf, offset, child - offset)
    return table


def w_string(buf: bytearray, value: str | bytes, _: Any = None) -> int:
    data = value.encode() if isinstance(value, str) else value
    pad = -len(buf) & 3
    if pad:
        buf += bytes(pad)
    pos = len(buf)
    buf += _U32.pack(len(data))
    buf += data
    buf += b"\0"
    return pos


def _vector_start(buf: bytearray, count: int, element_size: int = 4) -> int:
    pad = -(len(buf) + 4) % (8 if element_size == 8 else 4)
    if pad:
        buf += bytes(pad)
    pos = len(buf)
    buf += _U32.pack(count)
    return pos


def w_scalars(buf: bytearray, value: Any, fmt: str) -> int:
    pos = _vector_start(buf, len(value), struct.calcsize(fmt))
    buf += _pack(f"<{len(value)}{fmt}", *value)
    return pos


def w_bytes(buf: bytearray, value: Any, _: Any = None) -> int:
    pos = _vector_start(buf, len(value))
    buf += bytes(value)
    return pos


def w_strings(buf: bytearray, value: Any, _: Any = None) -> int:
    return w_tables(buf, value, w_string)


def w_tables(buf: bytearray, value: Any, encoder: Encoder) -> int:
    pos = _vector_start(buf, len(value))
    buf += bytes(4 * len(value))
    slot = pos + 4
    for item in value:
        child = encoder(buf, item, None)
        _pack_into(buf, slot, child - slot)
        slot += 4
    return pos


_VTABLE_READERS: dict[int, struct.Struct] = {}


def _vtable(buf: bytes, vtable: int, slots: int) -> tuple[int, ...]:
    """A vtable shorter or longer than the schema's ``slots``, read as if it had them.

    The generated decoders read a vtable with every slot in one go; writers trim
    trailing absent fields (the worker's C++ builder does), and a newer schema
    may have more: those vtables come here, padded with zeros or cut.
    """
    count = min((_U16.unpack_from(buf, vtable)[0] - 4) >> 1, slots) + 2
    reader = _VTABLE_READERS.get(count)
    if reader is None:
        reader = _VTABLE_READERS[count] = struct.Struct(f"<{count}H")
    return reader.unpack_from(buf, vtable) + (0,) * (slots + 2 - count)


def r_string(buf: bytes, pos: int) -> bytes:
    pos += _u32(buf, pos)[0]
    return buf[pos + 4 : pos + 4 + _u32(buf, pos)[0]]


def r_scalars(buf: bytes, pos: int, fmt: str) -> list[Any]:
    pos += _u32(buf, pos)[0]
    return list(struct.unpack_from(f"<{_u32(buf, pos)[0]}{fmt}", buf, pos + 4))


def r_bytes(buf: bytes, pos: int, _: Any = None) -> list[int]:
    pos += _u32(buf, pos)[0]
    return list(buf[pos + 4 : pos + 4 + _u32(buf, pos)[0]])


def r_strings(buf: bytes, pos: int, _: Any = None) -> list[bytes]:
    pos += _u32(buf, pos)[0]
    return [r_string(buf, slot) for slot in range(pos + 4, pos + 4 + 4 * _u32(buf, pos)[0], 4)]


def r_tables(buf: bytes, pos: int, decoder: Decoder) -> list[Any]:
    pos += _u32(buf, pos)[0]
    slots = range(pos + 4, pos + 4 + 4 * _u32(buf, pos)[0], 4)
    return [decoder(buf, slot + _u32(buf, slot)[0]) for slot in slots]


# ------------------------------------------------------------------ code generation


def _camel(name: str) -> str:
    """flatc's object-API attribute name of a schema field (``mime_type`` -> ``mimeType``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _slots(table: Table) -> int:
    """The length of the table's vtable: its highest field id + 1."""
    return max((f.slot for f in table.fields), default=-1) + 1


def _object_class(table_name: str) -> type:
    module = importlib.import_module(f"{__package__}._fbs.{table_name}")
    return getattr(module, table_name.rsplit(".", 1)[1] + "T")


class _Generator:
    """Python source of one encoder ``e<i>`` and one decoder ``d<i>`` per table.

    The source refers to per-table constants bound in ``namespace``: ``C<i>`` the
    object-API class, ``D<i>`` its default attributes, ``L<i>`` its ``_Layouts``,
    ``V<i>`` the struct of a complete vtable, ``S<i>_<attr>`` a scalar's reader, and
    ``U<i>_<attr>`` / ``U<i>_<attr>_d`` a union's member encoders / decoders (by name
    until the source is executed, then the functions themselves).
    """

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.index = {name: i for i, name in enumerate(schema.tables)}
        self.namespace: dict[str, Any] = {
            "CodecError": CodecError,
            "_finish": _finish,
            "_vtable": _vtable,
            "_i32": _I32.unpack_from,
            "_u16": _U16.unpack_from,
            "_u32": _u32,
            "w_string": w_string,
            "w_scalars": w_scalars,
            "w_bytes": w_bytes,
            "w_strings": w_strings,
            "w_tables": w_tables,
            "r_string": r_string,
            "r_scalars": r_scalars,
            "r_bytes": r_bytes,
            "r_strings": r_strings,
            "r_tables": r_tables,
        }
        self.lines: list[str] = []

    def source(self) -> str:
        for name, table in self.schema.tables.items():
            self.bind_table(self.index[name], table)
        for name, table in self.schema.tables.items():
            self.encoder(self.index[name], table)
            self.decoder(self.index[name], table)
        return "\n".join(self.lines) + "\n"

    def bind_table(self, i: int, table: Table) -> None:
        cls = _object_class(table.name)
        defaults = vars(cls())
        for field in table.fields:
            for attr in self.attrs(field):
                if attr not in defaults:
                    raise SchemaError(f"{cls.__name__} has no attribute {attr!r}")
        slots = _slots(table)
        self.namespace.update(
            {f"C{i}": cls, f"D{i}": defaults, f"V{i}": struct.Struct(f"<{slots + 2}H")}
        )

    def attrs(self, field: Field) -> list[str]:
        attr = _camel(field.name)
        return [attr, attr + "Type"] if field.type.base in self.schema.unions else [attr]

    def members(self, field: Field) -> list[tuple[int, int]]:
        """(union type, table index) of a union field's members."""
        members = self.schema.unions[field.type.base].members
        return [(value + 1, self.index[name]) for value, name in enumerate(members)]

    def inline(self, field: Field) -> tuple[str, int]:
        """The field's inline struct format and size: a scalar, or a 4-byte offset."""
        scalar = self.schema.scalar_of(field.type.base)
        if scalar is None or field.type.vector:
            return "I", 4
        fmt = SCALARS[scalar]
        return fmt, struct.calcsize(fmt)

    def writer(self, field: Field) -> tuple[str, str]:
        """The child writer of a reference field and its argument, as source."""
        base, vector = field.type.base, field.type.vector
        scalar = self.schema.scalar_of(base)
        if scalar is not None:
            fmt = SCALARS[scalar]
            return ("w_bytes", "None") if fmt == "B" else ("w_scalars", repr(fmt))
        if base == "string":
            return ("w_strings", "None") if vector else ("w_string", "None")
        if vector:
            return "w_tables", f"e{self.index[base]}"
        return f"e{self.index[base]}", "None"

    def encoder(self, i: int, table: Table) -> None:
        out = self.lines
        out += [
            f"def e{i}(buf, obj, _=None):  # {table.name}",
            "    d = obj.__dict__",
            "    present = 0",
            "    vals = []",
            "    kids = []",
        ]
        fields: list[tuple[int, str, Field | None, Field]] = []
        for field in table.fields:
            fmt, size = self.inline(field)
            if field.type.base in self.schema.unions:
                fields.append((1, "B", None, field))  # the union's type, a uint8
            fields.append((size, fmt, field, field))
        fields.sort(key=lambda entry: -entry[0])
        inline: list[tuple[int, str, bool]] = []
        for _size, fmt, field, owner in fields:
            attr, *type_attr = self.attrs(owner)
            if field is None:  # union type
                inline.append((owner.slot - 1, "B", False))
                out += [
                    f'    v = d["{type_attr[0]}"]',
                    "    if v:",
                    f"        present |= {1 << owner.slot - 1}; vals.append(v)",
                ]
                continue
            out.append(f'    v = d["{attr}"]')
            scalar = self.schema.scalar_of(field.type.base)
            if scalar is not None and not field.type.vector:
                inline.append((field.slot, fmt, False))
                test = "v is not None" if field.default is None else f"v != {field.default!r}"
                if field.default is not None:
                    test = f"v is not None and {test}"
                out += [f"    if {test}:", f"        present |= {1 << field.slot}; vals.append(v)"]
                continue
            inline.append((field.slot, fmt, True))
            if field.required:  # the worker reads these without checking: never send a hole
                out += [
                    "    if v is None:",
                    f'        raise CodecError("{table.name}.{attr} is required")',
                ]
            out.append("    if v is not None:")
            if field.type.base in self.schema.unions:
                mapping = f"U{i}_{attr}"
                self.namespace[mapping] = {t: f"e{index}" for t, index in self.members(field)}
                out += [
                    f'        w = {mapping}.get(d["{type_attr[0]}"])',
                    "        if w is None:",
                    f'            raise CodecError(f"{table.name}.{attr}: union type '
                    f"{{d['{type_attr[0]}']!r}} is not a member\")",
                ]
                writer, argument = "w", "None"
            else:
                writer, argument = self.writer(field)
            out.append(
                f"        present |= {1 << field.slot}; vals.append(0); "
                f"kids.append(({writer}, v, {argument}))"
            )
        self.namespace[f"L{i}"] = _Layouts(table.name, _slots(table), inline)
        out += [f"    return _finish(buf, L{i}, present, vals, kids)", ""]

    def decoder(self, i: int, table: Table) -> None:
        slots = _slots(table)
        out = self.lines
        out += [
            f"def d{i}(buf, pos):  # {table.name}",
            "    vt = pos - _i32(buf, pos)[0]",
            f"    o = V{i}.unpack_from(buf, vt) if _u16(buf, vt)[0] == {4 + 2 * slots} "
            f"else _vtable(buf, vt, {slots})",
            f"    d = D{i}.copy()",
        ]
        for field in table.fields:
            attr, *type_attr = self.attrs(field)
            base, vector = field.type.base, field.type.vector
            scalar = self.schema.scalar_of(base)
            if type_attr:
                out += [
                    f"    p = o[{field.slot + 1}]",
                    f'    if p: d["{type_attr[0]}"] = buf[pos + p]',
                ]
            out.append(f"    p = o[{field.slot + 2}]")
            if scalar is not None and not vector:
                fmt = SCALARS[scalar]
                if fmt == "B":
                    read = "buf[pos + p]"
                elif fmt == "?":
                    read = "buf[pos + p] != 0"
                else:
                    reader = f"S{i}_{attr}"
                    self.namespace[reader] = struct.Struct("<" + fmt).unpack_from
                    read = f"{reader}(buf, pos + p)[0]"
            elif base == "string" and not vector:
                read = "r_string(buf, pos + p)"
            elif vector:
                if scalar is not None:
                    fmt = SCALARS[scalar]
                    read = (
                        "r_bytes(buf, pos + p)"
                        if fmt == "B"
                        else f"r_scalars(buf, pos + p, {fmt!r})"
                    )
                elif base == "string":
                    read = "r_strings(buf, pos + p)"
                else:
                    read = f"r_tables(buf, pos + p, d{self.index[base]})"
            elif base in self.schema.tables:
                read = f"d{self.index[base]}(buf, pos + p + _u32(buf, pos + p)[0])"
            else:
                mapping = f"U{i}_{attr}_d"
                self.namespace[mapping] = {t: f"d{index}" for t, index in self.members(field)}
                out += [
                    f'    m = {mapping}.get(d["{type_attr[0]}"])',
                    "    if p and m is not None:",
                    f'        d["{attr}"] = m(buf, pos + p + _u32(buf, pos + p)[0])',
                ]
                continue
            out.append(f'    if p: d["{attr}"] = {read}')
        out += [f"    t = C{i}.__new__(C{i})", "    t.__dict__ = d", "    return t", ""]


class _Codec:
    """The compiled encoders and decoders, by table name."""

    def __init__(self, schema: Schema) -> None:
        generator = _Generator(schema)
        self.source = generator.source()
        namespace = generator.namespace
        exec(compile(self.source, "<sfu_control.fbs_codec generated>", "exec"), namespace)
        for name, value in list(namespace.items()):
            if name.startswith("U") and isinstance(value, dict):  # union maps: names -> functions
                namespace[name] = {t: namespace[f] for t, f in value.items()}
        self.encoders: dict[str, Encoder] = {}
        self.decoders: dict[str, Decoder] = {}
        for name, i in generator.index.items():
            self.encoders[name] = namespace[f"e{i}"]
            self.decoders[name] = namespace[f"d{i}"]


_CODEC: _Codec | None = None


def _codec() -> _Codec:
    """The codec, compiled on first use (it imports every generated binding module)."""
    global _CODEC
    if _CODEC is None:
        _CODEC = _Codec(load_schema(SCHEMA_DIR))
    return _CODEC


def codec_source() -> str:
    """The generated encoders and decoders, for reading and debugging."""
    return _codec().source


# ---------------------------------------------------------------------- entry points


def encode(obj: Any, table_name: str = "FBS.Message.Message") -> bytes:
    """``obj`` (an object-API ``*T``) as a size-prefixed FlatBuffer of ``table_name``."""
    buf = bytearray(8)
    try:
        root = _codec().encoders[table_name](buf, obj, None)
    except (TypeError, AttributeError, KeyError) as error:
        raise CodecError(f"cannot encode {table_name}: {error!r}") from None
    _U32_PAIR.pack_into(buf, 0, len(buf) - 4, root - 4)
    return bytes(buf)


def decode(payload: bytes, table_name: str = "FBS.Message.Message") -> Any:
    """A FlatBuffer of ``table_name`` (without its size prefix) as an object-API ``*T``."""
    try:
        return _codec().decoders[table_name](payload, _u32(payload, 0)[0])
    except (struct.error, IndexError, KeyError) as error:
        raise CodecError(f"malformed {table_name}: {error!r}") from None
