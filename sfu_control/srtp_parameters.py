"""SRTP parameters in the mediasoup JSON shape, and their FlatBuffers conversions.

Port of the Node library's ``SrtpParameters.ts``.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from .errors import ParameterError
from .wire import fbs
from .wire.values import s

SrtpCryptoSuite = Literal[
    "AEAD_AES_256_GCM", "AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"
]


class SrtpParameters(TypedDict):
    cryptoSuite: SrtpCryptoSuite
    keyBase64: str


def serialize_srtp_parameters(params: SrtpParameters) -> Any:
    p = fbs.SrtpParametersT()
    p.cryptoSuite = crypto_suite_to_fbs(params["cryptoSuite"])
    p.keyBase64 = params["keyBase64"]
    return p


def crypto_suite_to_fbs(name: str) -> int:
    value = getattr(fbs.SrtpCryptoSuite, name, None)
    if value is None:
        raise ParameterError(f"invalid SrtpCryptoSuite: {name}")
    return value


def parse_srtp_parameters(p: Any) -> SrtpParameters:
    names = fbs.enum_names(fbs.SrtpCryptoSuite)
    return {"cryptoSuite": names[p.cryptoSuite], "keyBase64": s(p.keyBase64)}
