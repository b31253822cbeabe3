"""The wire layer: the worker's FlatBuffers channel, and nothing of the domain.

- ``channel``: framed requests, responses and notifications over fds 3 and 4;
- ``fbs``: flatc's bindings (generated at set-up into ``_fbs/``, not committed);
- ``codec``: encode/decode by the codec ``codegen`` emits at set-up from the
  schemas (``_fbs/codec.py``), on the primitives of ``layout``;
- ``values``: reading decoded tables (strings arrive as bytes, enums as ints);
- ``schema``: the reader of the ``.fbs`` schema language ``codegen`` uses.

It imports only ``sfu_control.errors``, nothing of the domain modules above it.
"""
