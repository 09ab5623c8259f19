"""Sieve mail filtering (RFC 5228 and the extensions in ``CAPABILITIES``).

Scripts are parsed with ``sievelib`` and evaluated by our own interpreter
(``appliance.sieve.interpret``) over its parse tree; there is no regex
anywhere, so a user's pattern cannot hang delivery. Storage follows Dovecot
Pigeonhole (``appliance.sieve.storage``), so an office that moves to Dovecot
keeps its rules.
"""

from __future__ import annotations

from appliance.sieve.script import CAPABILITIES, SieveError, check

__all__ = ["CAPABILITIES", "SieveError", "check"]
