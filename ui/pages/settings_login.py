"""Login protection: how failed logins are counted and how long an address is banned."""

from __future__ import annotations

from ui.pages.settings_form import SettingsPage

__all__ = ["LoginProtectionPage"]


class LoginProtectionPage(SettingsPage):
    title = "Login protection"
    intro = ("An address that fails to log in too often is banned for a while (the Security "
             "page lists the bans). Each new ban of the same address lasts twice as long.")
    settings_keys = ("auth.*",)
    labels = {"auth.plaintext_from_loopback": "Allow logins without TLS from this machine",
              "auth.max_failures": "Failures before a ban",
              "auth.failure_window": "Counted over", "auth.lockout_seconds": "First ban",
              "auth.ban_max_seconds": "Longest ban", "auth.failure_delay_ms":
              "Answer a failed login after"}
