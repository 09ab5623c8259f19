"""Sender checks: SPF, DKIM, DMARC on mail from outside, and who may send as whom."""

from __future__ import annotations

from ui.pages.settings_form import SettingsPage

__all__ = ["SenderChecksPage"]


class SenderChecksPage(SettingsPage):
    title = "Sender checks"
    intro = ("Checks that mail from outside really comes from the domain it names, and that "
             "your own users send only as themselves.")
    sections = (("Mail from outside", ("authcheck.enabled", "authcheck.dmarc_reject",
                                       "authcheck.spf_fail", "authcheck.own_domain",
                                       "authcheck.dns_timeout", "smtp.local_sender_check")),
                ("Your users", ("submission.sender_check",)))
    settings_keys = ("authcheck.*", "smtp.local_sender_check", "submission.sender_check")
    labels = {"authcheck.enabled": "Check SPF, DKIM, DMARC and ARC",
              "authcheck.dmarc_reject": "Failing DMARC with p=reject",
              "authcheck.spf_fail": "Failing SPF (-all)",
              "authcheck.own_domain": "Forged own domain",
              "authcheck.dns_timeout": "DNS time-out",
              "smtp.local_sender_check": "Refuse our own domains from outside",
              "submission.sender_check": "Users send only as their own addresses"}
    choice_words = {k: {"reject": "Refuse it (550)", "junk": "File it as junk",
                        "off": "Accept it"}
                    for k in ("authcheck.dmarc_reject", "authcheck.spf_fail",
                              "authcheck.own_domain")}
