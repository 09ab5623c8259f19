"""Sender checks: SPF, DKIM, DMARC on mail from outside, and who may send as whom."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.pages.settings_form import SettingsPage

__all__ = ["SenderChecksPage"]


class SenderChecksPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("SenderChecksPage", "Sender checks")
    intro = QT_TRANSLATE_NOOP(
        "SenderChecksPage",
        "Checks that mail from outside really comes from the domain it names, and that "
        "your own users send only as themselves.",
    )
    sections = (
        (
            QT_TRANSLATE_NOOP("SenderChecksPage", "Mail from outside"),
            (
                "authcheck.enabled",
                "authcheck.dmarc_reject",
                "authcheck.spf_fail",
                "authcheck.own_domain",
                "authcheck.dns_timeout",
                "smtp.local_sender_check",
            ),
        ),
        (QT_TRANSLATE_NOOP("SenderChecksPage", "Your users"), ("submission.sender_check",)),
    )
    settings_keys = ("authcheck.*", "smtp.local_sender_check", "submission.sender_check")
    labels = {
        "authcheck.enabled": QT_TRANSLATE_NOOP(
            "SenderChecksPage", "Check SPF, DKIM, DMARC and ARC"
        ),
        "authcheck.dmarc_reject": QT_TRANSLATE_NOOP(
            "SenderChecksPage", "Failing DMARC with p=reject"
        ),
        "authcheck.spf_fail": QT_TRANSLATE_NOOP("SenderChecksPage", "Failing SPF (-all)"),
        "authcheck.own_domain": QT_TRANSLATE_NOOP("SenderChecksPage", "Forged own domain"),
        "authcheck.dns_timeout": QT_TRANSLATE_NOOP("SenderChecksPage", "DNS time-out"),
        "smtp.local_sender_check": QT_TRANSLATE_NOOP(
            "SenderChecksPage", "Refuse our own domains from outside"
        ),
        "submission.sender_check": QT_TRANSLATE_NOOP(
            "SenderChecksPage", "Users send only as their own addresses"
        ),
    }
    choice_words = {
        k: {
            "reject": QT_TRANSLATE_NOOP("SenderChecksPage", "Refuse it (550)"),
            "junk": QT_TRANSLATE_NOOP("SenderChecksPage", "File it as junk"),
            "off": QT_TRANSLATE_NOOP("SenderChecksPage", "Accept it"),
        }
        for k in ("authcheck.dmarc_reject", "authcheck.spf_fail", "authcheck.own_domain")
    }
