"""stpbot: answers questions about NHS STPs by quoting briefings, with their sources."""

from __future__ import annotations

__version__ = "0.1.0"
