"""DNS & DKIM: the resolver, this server's public addresses, record checks and signing."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.pages.settings_form import SettingsPage

__all__ = ["DnsSettingsPage"]


class DnsSettingsPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("DnsSettingsPage", "DNS & DKIM settings")
    sections = (
        (QT_TRANSLATE_NOOP("DnsSettingsPage", "Resolver"), ("dns.nameservers", "dns.timeout")),
        (
            QT_TRANSLATE_NOOP("DnsSettingsPage", "Published records"),
            ("dns.public_ipv4", "dns.public_ipv6", "dns.check_interval", "dkim.enabled"),
        ),
        (QT_TRANSLATE_NOOP("DnsSettingsPage", "Testing"), ("delivery.remote_port",)),
    )
    settings_keys = ("dns.*", "dkim.enabled", "delivery.remote_port")
    labels = {
        "dns.nameservers": QT_TRANSLATE_NOOP("DnsSettingsPage", "DNS servers"),
        "dns.timeout": QT_TRANSLATE_NOOP("DnsSettingsPage", "Time-out"),
        "dns.public_ipv4": QT_TRANSLATE_NOOP("DnsSettingsPage", "Public IPv4 address"),
        "dns.public_ipv6": QT_TRANSLATE_NOOP("DnsSettingsPage", "Public IPv6 address"),
        "dns.check_interval": QT_TRANSLATE_NOOP("DnsSettingsPage", "Check the records every"),
        "dkim.enabled": QT_TRANSLATE_NOOP("DnsSettingsPage", "DKIM-sign outgoing mail"),
        "delivery.remote_port": QT_TRANSLATE_NOOP("DnsSettingsPage", "Port of remote mail servers"),
    }
