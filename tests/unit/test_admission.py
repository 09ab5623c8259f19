"""The admission policy shared by the SMTP, IMAP and POP3 listeners (no sockets)."""

from __future__ import annotations

from appliance.admission import Admission, Timing


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy(total: int = 10, per_ip: int = 5, **timing: float) -> tuple[Admission, Clock]:
    clock = Clock()
    return Admission(total, per_ip, Timing(**timing), clock), clock


def test_caps_refuse_when_nobody_can_give_way() -> None:
    adm, clock = policy(total=3, per_ip=2)
    busy = [True]
    tickets = [adm.admit(f"10.0.0.{i}", engaged=lambda: busy[0]).ticket for i in range(3)]
    assert all(tickets)
    clock.now += 60
    verdict = adm.admit("10.0.0.9")
    assert verdict.ticket is None and verdict.refused == "total" and verdict.evicted == []
    adm.release(tickets[0])
    assert adm.admit("10.0.0.9").ticket is not None
    # The per-address cap holds whatever else is free.
    adm.max_total = 0
    assert adm.admit("10.0.0.1").ticket is not None
    assert adm.admit("10.0.0.1").refused == "per-ip"


def test_full_listener_evicts_the_session_idle_longest() -> None:
    adm, clock = policy(total=3, per_ip=3, evict_after=1.0)
    first = adm.admit("10.0.0.1").ticket
    clock.now += 5
    second = adm.admit("10.0.0.2").ticket
    clock.now += 5
    third = adm.admit("10.0.0.3").ticket
    assert first and second and third
    adm.touch(first)  # first just sent a command: second has been idle longest
    clock.now += 2
    verdict = adm.admit("10.0.0.4")
    assert verdict.ticket is not None and verdict.evicted == [second]
    assert second not in adm.sessions and len(adm.sessions) == 3
    adm.release(second)  # the evicted session's own end later is harmless
    assert len(adm.sessions) == 3 and adm.per_ip["10.0.0.4"] == 1


def test_newcomers_do_not_evict_sessions_that_just_arrived() -> None:
    adm, clock = policy(total=2, per_ip=2, evict_after=1.0)
    adm.admit("10.0.0.1")
    adm.admit("10.0.0.2")
    clock.now += 0.25
    verdict = adm.admit("10.0.0.3")
    assert verdict.refused == "total" and verdict.retry_in == 0.75  # worth waiting for
    clock.now += 0.75
    assert adm.admit("10.0.0.3").ticket is not None


def test_sessions_in_a_transaction_or_logged_in_are_never_evicted() -> None:
    adm, clock = policy(total=2, per_ip=2)
    engaged = adm.admit("10.0.0.1", engaged=lambda: True).ticket
    other = adm.admit("10.0.0.2", engaged=lambda: True).ticket
    clock.now += 3600
    verdict = adm.admit("10.0.0.3")
    assert verdict.refused == "total" and verdict.retry_in is None  # nothing to wait for
    adm.release(other)
    idle = adm.admit("10.0.0.2").ticket
    clock.now += 3600
    verdict = adm.admit("10.0.0.3")
    assert verdict.evicted == [idle] and engaged in adm.sessions


def test_stress_gives_idle_sessions_the_short_time_out() -> None:
    adm, clock = policy(total=10, per_ip=10, stress_at=0.5, stress_timeout=10.0)
    old = [adm.admit("10.0.0.1").ticket for _ in range(3)]
    clock.now += 60
    assert not adm.stressed and adm.next_expiry() is None and adm.expired() == []
    busy = adm.admit("10.0.0.2", engaged=lambda: True).ticket
    fresh = adm.admit("10.0.0.3").ticket
    assert adm.stressed  # 5 of 10
    assert adm.next_expiry() == 0.0  # the old idle ones are long past 10 s
    gone = adm.expired()
    assert sorted(id(t) for t in gone) == sorted(id(t) for t in old)
    assert adm.sessions == {busy, fresh} and not adm.stressed
    # Under stress again, the wait is what is left of the freshest idle session's 10 s.
    more = [adm.admit("10.0.0.4").ticket for _ in range(3)]
    clock.now += 4
    assert adm.stressed and adm.next_expiry() == 6.0
    adm.touch(fresh)
    assert adm.next_expiry() == 6.0
    assert more[0] in adm.sessions


def test_expired_sessions_are_ended_even_when_the_newcomer_is_refused() -> None:
    adm, clock = policy(total=4, per_ip=1, stress_at=0.5, stress_timeout=10.0)
    stale = adm.admit("10.0.0.1").ticket
    adm.admit("10.0.0.2", engaged=lambda: True)
    clock.now += 11
    verdict = adm.admit("10.0.0.2")
    assert verdict.refused == "per-ip"
    assert stale in verdict.evicted and stale not in adm.sessions
