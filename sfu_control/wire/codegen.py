"""Emit the channel's codec, one encoder and one decoder per table, as a Python module.

The generated bindings' object API (``MessageT.Pack`` / ``InitFromObj``) goes
through the ``flatbuffers`` runtime one scalar at a time: a dozen Python calls per
field. That was most of the controller's CPU time per request (see
``bench/RESULTS.md``). The codec reads the same ``*T`` objects and produces the
same ``*T`` objects, with one encoder and one decoder function per table written
out from the ``.fbs`` files as straight-line Python: a table's scalars are written
with one ``struct.pack`` and each field is read with one lookup, with no per-field
dispatch.

This runs at set-up, after flatc (``scripts/gen_fbs.sh``, ``make fbs``)::

    python -m sfu_control.wire.codegen sfu_control/wire/_fbs/schema sfu_control/wire/_fbs/codec.py

and writes ``_fbs/codec.py`` (not committed), which ``codec`` imports like any
module. It imports the bindings flatc just wrote, to check that every schema field
has its object-API attribute: a schema that drifted from the bindings fails here,
at set-up, rather than at a request.
"""

from __future__ import annotations

import argparse
import importlib
import struct
from pathlib import Path

from .schema import SCALARS, Field, Schema, SchemaError, Table, load_schema

_HEADER = '''"""The channel's codec, emitted from mediasoup's .fbs schemas by wire/codegen.py.

Generated at set-up (scripts/gen_fbs.sh): do not edit or commit.
"""

import struct

from ...errors import CodecError
from ..layout import (
    I32,
    U16,
    Layouts,
    r_bytes,
    r_scalars,
    r_string,
    r_strings,
    r_tables,
    w_bytes,
    w_scalars,
    w_string,
    w_strings,
    w_tables,
)
from ..layout import finish as _finish
from ..layout import padded_vtable as _vtable
from ..layout import u32 as _u32

_i32 = I32.unpack_from
_u16 = U16.unpack_from
'''


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

    The source refers to per-table constants defined before the functions: ``C<i>``
    the object-API class, ``D<i>`` its default attributes, ``L<i>`` its
    ``Layouts``, ``V<i>`` the struct of a complete vtable, ``S<i>_<attr>`` a
    scalar's reader; and to ``U<i>_<attr>`` / ``U<i>_<attr>_d``, a union's member
    encoders / decoders, defined after them.
    """

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.index = {name: i for i, name in enumerate(schema.tables)}
        self.imports: list[str] = []
        self.constants: list[str] = []
        self.lines: list[str] = []
        self.unions: list[str] = []

    def source(self) -> str:
        for name, table in self.schema.tables.items():
            self.bind_table(self.index[name], table)
        for name, table in self.schema.tables.items():
            self.encoder(self.index[name], table)
            self.decoder(self.index[name], table)
        tables = self.index.items()
        return (
            "\n".join(
                [
                    _HEADER,
                    *self.imports,
                    "",
                    *self.constants,
                    "",
                    *self.lines,
                    *self.unions,
                    "",
                    "ENCODERS = {",
                    *(f"    {name!r}: e{i}," for name, i in tables),
                    "}",
                    "DECODERS = {",
                    *(f"    {name!r}: d{i}," for name, i in tables),
                    "}",
                ]
            )
            + "\n"
        )

    def bind_table(self, i: int, table: Table) -> None:
        cls = _object_class(table.name)
        defaults = vars(cls())
        for field in table.fields:
            for attr in self.attrs(field):
                if attr not in defaults:
                    raise SchemaError(f"{cls.__name__} has no attribute {attr!r}")
        self.imports.append(
            f"from .{cls.__module__.split('._fbs.', 1)[1]} import {cls.__name__} as C{i}"
        )
        self.constants += [
            f"D{i} = vars(C{i}())",
            f'V{i} = struct.Struct("<{_slots(table) + 2}H")',
        ]

    def attrs(self, field: Field) -> list[str]:
        attr = _camel(field.name)
        return [attr, attr + "Type"] if field.type.base in self.schema.unions else [attr]

    def members(self, field: Field) -> list[tuple[int, int]]:
        """(union type, table index) of a union field's members."""
        members = self.schema.unions[field.type.base].members
        return [(value + 1, self.index[name]) for value, name in enumerate(members)]

    def union_map(self, name: str, kind: str, field: Field) -> str:
        """``name = {union type: encoder or decoder of that member}``, as source."""
        entries = ", ".join(f"{t}: {kind}{index}" for t, index in self.members(field))
        return f"{name} = {{{entries}}}"

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
                self.unions.append(self.union_map(mapping, "e", field))
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
        self.constants.append(f"L{i} = Layouts({table.name!r}, {_slots(table)}, {inline!r})")
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
                    self.constants.append(f'{reader} = struct.Struct("<{fmt}").unpack_from')
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
                self.unions.append(self.union_map(mapping, "d", field))
                out += [
                    f'    m = {mapping}.get(d["{type_attr[0]}"])',
                    "    if p and m is not None:",
                    f'        d["{attr}"] = m(buf, pos + p + _u32(buf, pos + p)[0])',
                ]
                continue
            out.append(f'    if p: d["{attr}"] = {read}')
        out += [f"    t = C{i}.__new__(C{i})", "    t.__dict__ = d", "    return t", ""]


def emit(schema_dir: Path) -> str:
    """The codec module's source for the schemas of ``schema_dir``."""
    return _Generator(load_schema(schema_dir)).source()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("schema_dir", type=Path, help="the .fbs files")
    parser.add_argument("output", type=Path, help="the Python module to write")
    args = parser.parse_args()
    args.output.write_text(emit(args.schema_dir))


if __name__ == "__main__":
    main()
