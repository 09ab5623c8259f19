"""The relay network answer is remembered per client address, for one network list."""

from __future__ import annotations

from typing import Any, cast

from appliance.smtp import server
from appliance.smtp.server import ListenerConfig, SmtpContext, SmtpLimits, _Handler


def test_trusted_follows_the_current_network_list(monkeypatch: Any) -> None:
    asked: list[str] = []
    real = server.in_networks

    def counting(ip: str, networks: list[str]) -> bool:
        asked.append(ip)
        return real(ip, networks)

    monkeypatch.setattr(server, "in_networks", counting)
    networks = ["127.0.0.0/8", "!127.0.0.9"]
    ctx = SmtpContext(hostname="mx.test", directory=cast(Any, None), enqueue=cast(Any, None),
                      relay_networks=lambda: networks, authenticate=cast(Any, None),
                      accepted=cast(Any, None))
    handler = _Handler(ctx, ListenerConfig("smtp"), SmtpLimits())
    for _ in range(3):  # MAIL, RCPT and DATA of one message
        assert handler.trusted("127.0.0.1")
        assert not handler.trusted("127.0.0.9")
        assert not handler.trusted("192.0.2.1")
    assert asked == ["127.0.0.1", "127.0.0.9", "192.0.2.1"]
    networks = ["192.0.2.0/24"]  # the list was re-read with a change
    assert not handler.trusted("127.0.0.1")
    assert handler.trusted("192.0.2.1")
