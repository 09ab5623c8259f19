"""Filtering at local delivery: the global "before" script, then the account's.

For each delivery the scripts run in order: the admin's global before script
(``<data>/sieve/before.sieve``: spam into Junk), the account's generated
out-of-office script (``~/.mailroom-vacation.sieve``), then the account's
active script (``~/.dovecot.sieve``). Dovecot equivalent: ``sieve_before =
<data>/sieve/before.sieve``, ``sieve_before2 = ~/.mailroom-vacation.sieve``.
Parsed scripts are cached by file identity and mtime, so an account with no
script costs a failed ``stat`` of its link.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.sieve.interpret import Result, SieveRuntimeError, VacationRequest, run
from appliance.sieve.message import MailView
from appliance.sieve.script import SieveError, parse
from appliance.sieve.storage import ACTIVE_LINK

if TYPE_CHECKING:  # sievelib: imported by the first script parsed
    from sievelib.commands import Command

__all__ = ["BEFORE_SCRIPT", "Decision", "MailFilter", "before_script_path",
           "ensure_before_script", "VACATION_SCRIPT"]

VACATION_SCRIPT = ".mailroom-vacation.sieve"

BEFORE_SCRIPT = """\
# Mailroom's global "before" script: it runs before every account's own
# filters (Dovecot: sieve_before). Mail the spam checks flagged goes to Junk.
require ["fileinto"];
if header :is "X-Spam-Flag" "YES" {
  fileinto "Junk";
  stop;
}
"""


def before_script_path(data_dir: Path) -> Path:
    return Path(data_dir) / "sieve" / "before.sieve"


def ensure_before_script(data_dir: Path) -> Path:
    """Write the default before script if there is none; its path."""
    path = before_script_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        tmp = path.with_name(f".before.{os.getpid()}.tmp")
        tmp.write_text(BEFORE_SCRIPT, encoding="utf-8")
        os.replace(tmp, path)
    return path


@dataclass
class Decision:
    # (folder, flags) for each copy to store; empty when the mail is discarded
    deliveries: list[tuple[str, tuple[str, ...]]]
    redirects: list[str] = field(default_factory=list)
    vacation: VacationRequest | None = None
    problems: list[str] = field(default_factory=list)  # run-time failures, for the log
    filtered: bool = False  # whether any script ran


class MailFilter:
    """Decides where one message goes for one account; thread-safe."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.before = before_script_path(self.data_dir)
        self._cache: dict[Path, tuple[tuple[int, int, int], list[Command] | SieveError]] = {}
        self._lock = threading.Lock()
        self._builtin: list[Command] | None = None

    def _load(self, path: Path) -> list[Command] | None:
        """The parsed script at ``path`` (None: no such file); SieveRuntimeError if it
        does not parse (a script written past ``put``, by hand)."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._cache.get(path)
        if cached is None or cached[0] != key:
            try:
                parsed: list[Command] | SieveError = parse(path.read_text(encoding="utf-8"))
            except SieveError as exc:
                parsed = exc
            except (OSError, UnicodeDecodeError) as exc:
                parsed = SieveError(f"cannot read: {exc}")
            with self._lock:
                self._cache[path] = cached = (key, parsed)
        if isinstance(cached[1], SieveError):
            raise SieveRuntimeError(f"does not parse: {cached[1]}")
        return cached[1]

    def _default_before(self) -> list[Command]:
        """The built-in before script, where the data directory has none yet."""
        if self._builtin is None:
            self._builtin = parse(BEFORE_SCRIPT)
        return self._builtin

    def scripts(self, home: Path) -> list[tuple[str, Path]]:
        return [("global before script", self.before),
                ("out-of-office script", home / VACATION_SCRIPT),
                ("active script", home / ACTIVE_LINK)]

    def decide(self, view: MailView, home: Path, *, junk: bool = False) -> Decision:
        """Where ``view`` goes for the account whose home is ``home`` (blocking).

        ``junk``: the inbound checks judged the mail junk; it goes to Junk and no
        script of the user's runs (no out-of-office reply to spam).
        """
        if junk:
            return Decision([("Junk", ())])
        result = Result()
        problems: list[str] = []
        filtered = False
        for label, path in self.scripts(home):
            try:
                commands = self._load(path)
                if commands is None and path == self.before:
                    commands = self._default_before()
                if commands is None:
                    continue
                filtered = True
                trial = run(commands, view, result.copy())
            except SieveRuntimeError as exc:
                # RFC 5228 2.10.6: a failing script keeps the message; what the
                # scripts before it decided stands.
                problems.append(f"{label}: {exc}; kept in INBOX")
                result.implicit_keep = True
                result.filings.setdefault("INBOX", ())
                break
            result = trial
            if result.stopped:
                break
        return Decision(result.deliveries(), list(result.redirects), result.vacation,
                        problems, filtered)
