"""Random (version 4) UUIDs as strings, quickly.

Every event the platform publishes, and every new carer record, gets one. ``uuid.uuid4()``
builds a ``UUID`` object through a 128-bit integer only for it to be printed again: about
6 microseconds, against about 1.5 for the same 122 random bits written straight to text.
"""

from __future__ import annotations

import os


def uuid4_str() -> str:
    """A random UUID (RFC 9562 version 4, variant 10xx) in the canonical 8-4-4-4-12 form."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
