"""Feed the auto-ban into Mailroom's nftables sets, off the event loop.

Only where Mailroom's table exists (made by ``firewall open`` on plain
nftables): the daemon never creates firewall rules on its own.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from appliance.auth.bans import BanList
from appliance.firewall.system import Firewall, FirewallError

__all__ = ["BanFeed"]

log = logging.getLogger("mailroom.firewall")


class BanFeed:
    def __init__(self, bans: BanList, executor: Executor,
                 firewall: Firewall | None = None) -> None:
        self.bans = bans
        self.executor = executor
        self.firewall = firewall or Firewall()
        self._failed_once = False
        bans.on_change.append(self.changed)

    def changed(self, key: str, until: float | None) -> None:
        self.executor.submit(self._apply, key, until)

    def _apply(self, key: str, until: float | None) -> None:
        try:
            if self.firewall.ban_changed(key, until):
                log.info("firewall: %s [%s] in table inet mailroom",
                         "ban" if until is not None else "unban", key)
        except (FirewallError, OSError, ValueError) as exc:
            # The ban still holds at connect; say once why the firewall lags behind.
            if not self._failed_once:
                self._failed_once = True
                log.warning("firewall: cannot follow the ban of [%s]: %s", key, exc)

    def sync(self) -> None:
        """At start: the bans in force into the sets (they may have run out meanwhile)."""
        def run() -> None:
            try:
                if self.firewall.which("nft") and self.firewall.table_exists():
                    self.firewall.sync_bans((b.key, b.until) for b in self.bans.active())
            except (FirewallError, OSError, ValueError) as exc:
                log.warning("firewall: cannot load the bans into table inet mailroom: %s", exc)
        self.executor.submit(run)
