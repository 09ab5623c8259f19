"""How the CLI and the dashboard say who sends outside mail (status field delivery_process)."""

from __future__ import annotations

import pytest

from appliance.cli import format_delivery_process


@pytest.mark.parametrize(("proc", "expected"), [
    ({"enabled": False}, "sending: in the daemon's own process (delivery.worker_process off)"),
    ({}, "sending: in the daemon's own process (delivery.worker_process off)"),
    ({"enabled": True, "pid": None, "in_flight": 0, "restarts": 0},
     "sending: delivery process idle (starts with the next outside message)"),
    ({"enabled": True, "pid": 4242, "in_flight": 3, "restarts": 0},
     "sending: delivery process pid 4242, 3 in flight"),
    ({"enabled": True, "pid": 4243, "in_flight": 0, "restarts": 2},
     "sending: delivery process pid 4243, 0 in flight, 2 restarts"),
])
def test_cli_line(proc: dict[str, object], expected: str) -> None:
    assert format_delivery_process(proc) == expected
