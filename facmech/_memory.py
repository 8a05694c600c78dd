"""Memory guards: estimate what a computation will allocate and refuse, with the figure, before
starting it, instead of dying with a ``MemoryError`` (or swapping) halfway through.

>>> require_memory(10**6, what="a small table")  # 1 MB: always fine
>>> require_memory(10**18, what="simulating 10^9 sites", hint="use fewer sites")
Traceback (most recent call last):
...
facmech.errors.ArgumentError: simulating 10^9 sites needs about 1,000,000,000.0 GB of memory, more than ...
"""

from __future__ import annotations

import os

from facmech.errors import ArgumentError

__all__ = ["available_memory", "format_bytes", "require_memory"]

_ALWAYS_FINE = 64e6


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (``MemAvailable`` on Linux), or ``None``."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """``3.2 GB``-style figure (decimal units: GB from 1e9 bytes, else MB).

    >>> format_bytes(3.2e9), format_bytes(4.5e5)
    ('3.2 GB', '0.5 MB')
    """
    return f"{n / 1e9:,.1f} GB" if n >= 1e9 else f"{n / 1e6:,.1f} MB"


def require_memory(nbytes: float, *, what: str, hint: str = "") -> None:
    """Raise :class:`ArgumentError` when ``nbytes`` exceeds the memory available now (sizes
    under 64 MB pass without reading the system's figure: the check runs once per simulated
    replicate)."""
    if nbytes <= _ALWAYS_FINE:
        return
    avail = available_memory()
    if avail is None or nbytes <= avail:
        return
    raise ArgumentError(
        f"{what} needs about {format_bytes(nbytes)} of memory, more than the "
        f"{format_bytes(avail)} available{'; ' + hint if hint else ''}"
    )
