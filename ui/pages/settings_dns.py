"""DNS & DKIM: the resolver, this server's public addresses, record checks and signing."""

from __future__ import annotations

from ui.pages.settings_form import SettingsPage

__all__ = ["DnsSettingsPage"]


class DnsSettingsPage(SettingsPage):
    title = "DNS & DKIM settings"
    sections = (("Resolver", ("dns.nameservers", "dns.timeout")),
                ("Published records", ("dns.public_ipv4", "dns.public_ipv6",
                                       "dns.check_interval", "dkim.enabled")),
                ("Testing", ("delivery.remote_port",)))
    settings_keys = ("dns.*", "dkim.enabled", "delivery.remote_port")
    labels = {"dns.nameservers": "DNS servers", "dns.timeout": "Time-out",
              "dns.public_ipv4": "Public IPv4 address", "dns.public_ipv6": "Public IPv6 address",
              "dns.check_interval": "Check the records every",
              "dkim.enabled": "DKIM-sign outgoing mail",
              "delivery.remote_port": "Port of remote mail servers"}
