"""Mail aliases and groups: reading sendmail's /etc/aliases format."""

from __future__ import annotations

from appliance.aliases.expand import Directory, Expansion, expand
from appliance.aliases.parse import AliasEntry, AliasTarget, ParseResult, parse_aliases

__all__ = [
    "AliasEntry",
    "AliasTarget",
    "Directory",
    "Expansion",
    "ParseResult",
    "expand",
    "parse_aliases",
]
