"""The data model. The schema itself comes only from the Alembic migrations."""

from .audit import Audit
from .device import Device
from .document import Document
from .medical_info import MedicalInfo
from .message import Message
from .onetoone import OneToOne
from .session import ROLES, Session, SessionCredential
from .stats import Stats

__all__ = [
    "ROLES",
    "Audit",
    "Device",
    "Document",
    "MedicalInfo",
    "Message",
    "OneToOne",
    "Session",
    "SessionCredential",
    "Stats",
]
