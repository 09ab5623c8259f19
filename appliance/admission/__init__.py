"""Who gets a session on a listener that is near its connection cap.

One policy for every listener (SMTP 25/587/465, IMAP, POP3), after
Postfix's stress-adaptive behaviour (``smtpd_timeout = ${stress?10}{300}``):
a listener is *under stress* once its sessions reach ``stress_at`` of the
cap. Under stress, a session that is *idle* -- it has sent nothing, or sits
between commands before MAIL (SMTP) or before logging in (IMAP, POP3) --
gets ``stress_timeout`` seconds instead of the protocol's time-out. And when
the cap is reached, the session idle the longest (at least ``evict_after``
seconds) is closed to make room for the newcomer, so a flood of idle
connections cannot shut out a real client. Sessions in a mail transaction
or logged in are never cut short here.

``Admission`` is the pure decision logic (no sockets, no event loop, an
injectable clock). ``Gate`` puts it on an event loop for a listener: it
ends the sessions the policy picks and wakes itself up to enforce the
stress time-out. Listeners call ``admit`` for each new connection,
``touch`` when a session's client sends a command, ``release`` when it ends.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Admission", "Gate", "Ticket", "Timing", "Verdict"]


@dataclass(frozen=True)
class Timing:
    stress_at: float = 0.8  # share of the cap at which stress begins
    stress_timeout: float = 10.0  # idle seconds allowed under stress
    evict_after: float = 1.0  # idle seconds before a session may give way to a newcomer
    max_wait: float = 1.0  # longest a newcomer is held for an idle session to qualify


@dataclass(eq=False)
class Ticket:
    """One admitted session."""

    ip: str
    opened: float
    last_active: float
    # True while the session does real work that must not be cut short
    # (a mail transaction, a logged-in mailbox session).
    engaged: Callable[[], bool] = lambda: False
    # Ends the session with the protocol's "too busy" goodbye.
    end: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class Verdict:
    """The answer to a new connection: its ticket (None: refused, ``refused``
    names the cap, "total" or "per-ip") and the sessions to end, already released.
    ``retry_in``: refused, but an idle session may give way after that many seconds."""

    ticket: Ticket | None
    evicted: list[Ticket]
    refused: str = ""
    retry_in: float | None = None


@dataclass
class Admission:
    """The sessions of one listener and the decisions about them.

    ``max_total`` and ``max_per_ip`` (0: no cap) are plain attributes, so a
    settings change applies to the next connection.
    """

    max_total: int
    max_per_ip: int
    timing: Timing = field(default_factory=Timing)
    clock: Callable[[], float] = time.monotonic
    sessions: set[Ticket] = field(default_factory=set)
    per_ip: Counter[str] = field(default_factory=Counter)

    @property
    def stressed(self) -> bool:
        return bool(self.max_total) and len(self.sessions) >= self.timing.stress_at * self.max_total

    def _idle(self, ticket: Ticket, now: float) -> float:
        return -1.0 if ticket.engaged() else now - ticket.last_active

    def admit(self, ip: str, *, engaged: Callable[[], bool] = lambda: False,
              end: Callable[[], None] = lambda: None) -> Verdict:
        now = self.clock()
        evicted = self.expired()
        if self.max_per_ip and self.per_ip[ip] >= self.max_per_ip:
            return Verdict(None, evicted, "per-ip")
        if self.max_total and len(self.sessions) >= self.max_total:
            victim = max(self.sessions, key=lambda t: self._idle(t, now))
            idle = self._idle(victim, now)
            if idle < self.timing.evict_after:
                retry = self.timing.evict_after - idle if idle >= 0 else None
                return Verdict(None, evicted, "total", retry)
            self.release(victim)
            evicted.append(victim)
        ticket = Ticket(ip, now, now, engaged, end)
        self.sessions.add(ticket)
        self.per_ip[ip] += 1
        return Verdict(ticket, evicted)

    def expired(self) -> list[Ticket]:
        """Under stress: the idle sessions past ``stress_timeout``, released."""
        if not self.stressed:
            return []
        now = self.clock()
        out = [t for t in self.sessions if self._idle(t, now) >= self.timing.stress_timeout]
        for ticket in out:
            self.release(ticket)
        return out

    def next_expiry(self) -> float | None:
        """Seconds until an idle session reaches the stress time-out (None: not stressed)."""
        if not self.stressed:
            return None
        now = self.clock()
        idle = [self._idle(t, now) for t in self.sessions]
        idle = [i for i in idle if i >= 0]
        if not idle:
            return None
        return max(0.0, self.timing.stress_timeout - max(idle))

    def touch(self, ticket: Ticket) -> None:
        ticket.last_active = self.clock()

    def release(self, ticket: Ticket) -> None:
        """Forget a session; harmless if it was already released (evicted)."""
        if ticket not in self.sessions:
            return
        self.sessions.discard(ticket)
        self.per_ip[ticket.ip] -= 1
        if self.per_ip[ticket.ip] <= 0:
            del self.per_ip[ticket.ip]


class Gate:
    """An ``Admission`` on an event loop: ends the evicted sessions, enforces
    the stress time-out between connections, and logs what it does."""

    def __init__(self, admission: Admission, log: Callable[..., None]) -> None:
        self.admission = admission
        self._log = log
        self._timer: asyncio.TimerHandle | None = None
        self._waiting = 0

    async def admit(self, ip: str, *, engaged: Callable[[], bool],
                    end: Callable[[], None]) -> Verdict:
        verdict = self.admission.admit(ip, engaged=engaged, end=end)
        self._end(verdict.evicted)
        if (verdict.retry_in is not None
                and verdict.retry_in <= self.admission.timing.max_wait
                and self._waiting < max(1, self.admission.max_total)):
            # Full of sessions that only just went quiet: hold the newcomer
            # until one may give way, as a listen queue would, rather than
            # turn it away (a refused MTA retries only after minutes).
            self._waiting += 1
            try:
                await asyncio.sleep(verdict.retry_in)
            finally:
                self._waiting -= 1
            verdict = self.admission.admit(ip, engaged=engaged, end=end)
            self._end(verdict.evicted)
        self._schedule()
        return verdict

    def touch(self, ticket: Ticket) -> None:
        self.admission.touch(ticket)

    def release(self, ticket: Ticket) -> None:
        self.admission.release(ticket)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _end(self, tickets: list[Ticket]) -> None:
        for ticket in tickets:
            self._log("closing idle session from [%s] to make room (%d sessions)",
                      ticket.ip, len(self.admission.sessions))
            ticket.end()

    def _schedule(self) -> None:
        if self._timer is not None:
            return
        delay = self.admission.next_expiry()
        if delay is not None:
            # A little late rather than early: a session idle just under the
            # time-out would otherwise wake the loop again at once.
            self._timer = asyncio.get_running_loop().call_later(delay + 0.05, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        self._end(self.admission.expired())
        self._schedule()
