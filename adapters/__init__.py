"""Channel adapters: pure conversions at the edge plus SDK wiring. The core never imports them."""

from __future__ import annotations
