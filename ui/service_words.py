"""What each listener is called on screen, the same on every page and in the tray (no Qt).

"SMTP (port 25)", "IMAP over TLS (port 993)"; POP3's STLS is STARTTLS too and
is called so everywhere. ``translate`` is Qt's, where there is Qt.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["SERVICE_WORDS", "SERVICE_TLS", "service_label", "tls_words"]

SERVICE_WORDS = {
    "smtp": "SMTP", "submission": "Submission", "smtps": "SMTP over TLS",
    "pop3": "POP3", "pop3s": "POP3 over TLS", "imap": "IMAP", "imaps": "IMAP over TLS",
    "managesieve": "ManageSieve", "webmail": "Webmail",
}
SERVICE_TLS = {"smtps": "implicit", "pop3s": "implicit", "imaps": "implicit"}

Translate = Callable[[str, str], str]


def _same(_context: str, text: str) -> str:
    return text


def service_label(name: str, port: int | None = None, translate: Translate = _same) -> str:
    words = translate("services", SERVICE_WORDS.get(name, name))
    if port is None:
        return words
    return translate("services", "{0} (port {1})").format(words, port)


def tls_words(tls: str, translate: Translate = _same) -> str:
    return translate("services", {"implicit": "TLS", "starttls": "STARTTLS"}.get(tls, "STARTTLS"))
