"""A faithful, deterministic, loopback-only emulator of the vendors' HTTP protocols.

``Emulator`` serves every registered vendor on one port; ``Fault`` injects failures.
Run it standalone with ``python -m cnllm.emulator``.
"""

from .core import EmulatorConfig, RecordedRequest, Stats, Vendor, register_vendor
from .faults import Fault
from .server import Emulator

__all__ = [
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "RecordedRequest",
    "Stats",
    "Vendor",
    "register_vendor",
]
