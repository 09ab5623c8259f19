"""Login protection: how failed logins are counted and how long an address is banned."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.pages.settings_form import SettingsPage

__all__ = ["LoginProtectionPage"]


class LoginProtectionPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("LoginProtectionPage", "Login protection")
    intro = QT_TRANSLATE_NOOP(
        "LoginProtectionPage",
        "An address that fails to log in too often is banned for a while (the Security "
        "page lists the bans). Each new ban of the same address lasts twice as long.",
    )
    settings_keys = ("auth.*",)
    labels = {
        "auth.plaintext_from_loopback": QT_TRANSLATE_NOOP(
            "LoginProtectionPage", "Allow logins without TLS from this machine"
        ),
        "auth.max_failures": QT_TRANSLATE_NOOP("LoginProtectionPage", "Failures before a ban"),
        "auth.failure_window": QT_TRANSLATE_NOOP("LoginProtectionPage", "Counted over"),
        "auth.lockout_seconds": QT_TRANSLATE_NOOP("LoginProtectionPage", "First ban"),
        "auth.ban_max_seconds": QT_TRANSLATE_NOOP("LoginProtectionPage", "Longest ban"),
        "auth.failure_delay_ms": QT_TRANSLATE_NOOP(
            "LoginProtectionPage", "Answer a failed login after"
        ),
    }
