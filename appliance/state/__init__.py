"""The state store: settings, domains, accounts, aliases, forwards, relay networks.

This is the one place that validates and writes configuration. The CLI, the
control API (and through it the GUI), the wizard and the importers all call
these methods; a method either applies the whole change or raises
``StateError`` and changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.addresses import AddressError, is_valid_domain, normalize_domain, parse_address
from appliance.aliases.expand import ERROR_PREFIX
from appliance.auth import MIN_PASSWORD_LENGTH, hash_password
from appliance.control.types import ControlError
from appliance.secrets import SecretsError, SecretStore
from appliance.state.access import AccessError, AccessRule, parse_rule
from appliance.state.relay import RelayNetworkError, entry_order, normalize_relay, parse_relay
from appliance.state.settings import SETTINGS, SettingError, parse_setting, unknown_setting

__all__ = ["State", "StateError", "Account", "Forward", "ERROR_PREFIX", "DEFAULT_RELAY"]

DEFAULT_RELAY = ("127.0.0.1/32", "::1/128")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    address TEXT PRIMARY KEY,
    domain TEXT NOT NULL REFERENCES domains(name),
    local TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    quota_bytes INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS aliases (
    address TEXT NOT NULL,
    target TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (address, target)
);
CREATE TABLE IF NOT EXISTS forwards (
    account TEXT PRIMARY KEY REFERENCES accounts(address) ON DELETE CASCADE,
    targets TEXT NOT NULL,
    keep_copy INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS senders (
    account TEXT NOT NULL REFERENCES accounts(address) ON DELETE CASCADE,
    address TEXT NOT NULL,
    PRIMARY KEY (account, address)
);
CREATE TABLE IF NOT EXISTS relay_networks (cidr TEXT PRIMARY KEY, note TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS access (
    kind TEXT NOT NULL, key TEXT NOT NULL, action TEXT NOT NULL,
    reply TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS domain_aliases (
    name TEXT PRIMARY KEY,
    target TEXT NOT NULL REFERENCES domains(name),
    created REAL NOT NULL
);
"""


class StateError(ControlError):
    """A refused change. ``field`` names the input at fault, for forms."""


@dataclass(frozen=True)
class Forward:
    targets: tuple[str, ...]
    keep_copy: bool


@dataclass(frozen=True)
class Account:
    address: str
    domain: str
    local: str
    password_hash: str
    quota_bytes: int
    enabled: bool
    forward: Forward | None = None

    def public(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "quota_bytes": self.quota_bytes,
            "enabled": self.enabled,
            "forward": list(self.forward.targets) if self.forward else [],
            "keep_copy": self.forward.keep_copy if self.forward else False,
        }


def _address(text: str, field: str) -> str:
    try:
        addr = parse_address(text)
    except AddressError as exc:
        raise StateError(f"malformed address {text!r}: {exc}", field) from exc
    if addr.has_relay_trick:
        raise StateError(f"address {text!r} uses routing characters (% ! @ :)", field)
    return f"{addr.local.lower()}@{addr.domain}"


def _network(text: str, judge: bool = True) -> str:
    """The stored form of a relay entry; ``judge``: refuse one that makes an open relay."""
    try:
        return str(parse_relay(text) if judge else normalize_relay(text))
    except RelayNetworkError as exc:
        raise StateError(str(exc), "network") from exc


class State:
    """Access to the SQLite state database of one data directory."""

    def __init__(self, db_path: Path, secrets: SecretStore | None = None) -> None:
        self.path = db_path
        # Secret settings live beside the database, never in it.
        self.secrets = secrets or SecretStore.in_data_dir(db_path.parent)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self._move_secrets_out()

    def _move_secrets_out(self) -> None:
        """A database from before the secrets store may hold a secret setting: move it."""
        secret_keys = [k for k, s in SETTINGS.items() if s.secret]
        marks = ",".join("?" * len(secret_keys))
        rows = self._query(f"SELECT key, value FROM settings WHERE key IN ({marks})", secret_keys)
        if not rows:
            return
        for r in rows:
            value = json.loads(r["value"])
            if value:
                self.secrets.set(r["key"], str(value))
        with self._lock:
            # Zero the deleted bytes, rebuild the file without free pages that
            # could still hold the value, and empty the write-ahead log.
            self._db.execute("PRAGMA secure_delete=ON")
            with self._write() as db:
                db.execute(f"DELETE FROM settings WHERE key IN ({marks})", secret_keys)
            try:
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError:
                pass  # busy elsewhere: the row's bytes are zeroed; the log is reset later


    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    # -- settings ---------------------------------------------------------

    def get_setting(self, key: str) -> Any:
        spec = SETTINGS.get(key)
        if spec is None:
            raise StateError(unknown_setting(key), "key")
        if spec.secret:
            return self._secrets().get(key, spec.default)
        rows = self._query("SELECT value FROM settings WHERE key=?", (key,))
        return json.loads(rows[0]["value"]) if rows else spec.default

    def settings(self) -> dict[str, Any]:
        """Every setting, secrets in clear: for the daemon, never for an answer or a log."""
        stored = {r["key"]: json.loads(r["value"]) for r in self._query("SELECT * FROM settings")}
        secrets = self._secrets()
        return {k: (secrets.get(k, s.default) if s.secret else stored.get(k, s.default))
                for k, s in SETTINGS.items()}

    def _secrets(self) -> dict[str, str]:
        try:
            return {name: self.secrets.get(name) or "" for name in self.secrets.names()}
        except SecretsError as exc:
            raise StateError(str(exc), "secrets") from exc

    def set_setting(self, key: str, raw: Any) -> Any:
        try:
            value = parse_setting(key, raw)
        except SettingError as exc:
            raise StateError(str(exc), key if key in SETTINGS else "key") from exc
        if SETTINGS[key].secret:
            try:
                if value:
                    self.secrets.set(key, value)
                else:
                    self.secrets.delete(key)
            except OSError as exc:
                raise StateError(f"cannot store {key} in the secrets file: {exc}", key) from exc
            return value
        with self._write() as db:
            db.execute(
                "INSERT INTO settings(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, json.dumps(value)),
            )
        return value

    # -- domains ----------------------------------------------------------

    def domains(self) -> list[str]:
        """The real domains (each has its own mailboxes); see ``domain_aliases`` for the rest."""
        return [r["name"] for r in self._query("SELECT name FROM domains ORDER BY name")]

    def domain_aliases(self) -> dict[str, str]:
        """Other names of this host: {alias: the domain whose mailboxes it reaches}."""
        rows = self._query("SELECT name, target FROM domain_aliases ORDER BY name")
        return {r["name"]: r["target"] for r in rows}

    def is_local_domain(self, domain: str) -> bool:
        name = normalize_domain(domain)
        return bool(self._query(
            "SELECT 1 FROM domains WHERE name=? UNION ALL "
            "SELECT 1 FROM domain_aliases WHERE name=?", (name, name)))

    def canonical_domain(self, domain: str) -> str | None:
        """The real domain ``domain`` names (itself, or what it is an alias of); None: not ours."""
        name = normalize_domain(domain)
        rows = self._query(
            "SELECT name FROM domains WHERE name=? UNION ALL "
            "SELECT target FROM domain_aliases WHERE name=?", (name, name))
        return rows[0][0] if rows else None

    def _canonical_address(self, address: str) -> str | None:
        """``address`` with an alias domain replaced by its real domain; None: no alias."""
        local, at, domain = address.rpartition("@")
        if not at:
            return None
        rows = self._query("SELECT target FROM domain_aliases WHERE name=?",
                           (normalize_domain(domain),))
        return f"{local}@{rows[0]['target']}" if rows else None

    def _domain_name(self, name: str) -> str:
        domain = normalize_domain(name.strip())
        if not is_valid_domain(domain):
            raise StateError(f"not a valid domain name: {name!r}", "domain")
        return domain

    @staticmethod
    def _refuse_taken(db: sqlite3.Connection, domain: str) -> None:
        if db.execute("SELECT 1 FROM domains WHERE name=?", (domain,)).fetchone():
            raise StateError(f"domain {domain} already exists", "domain")
        row = db.execute("SELECT target FROM domain_aliases WHERE name=?", (domain,)).fetchone()
        if row:
            raise StateError(f"{domain} already exists as an alias of {row[0]}", "domain")

    def add_domain(self, name: str) -> str:
        domain = self._domain_name(name)
        with self._write() as db:
            self._refuse_taken(db, domain)
            db.execute("INSERT INTO domains(name, created) VALUES(?, ?)", (domain, time.time()))
        return domain

    def add_domain_alias(self, name: str, alias_of: str) -> str:
        """Make ``name`` another name of the domain ``alias_of`` (local-host-names)."""
        domain = self._domain_name(name)
        target = normalize_domain(alias_of.strip())
        with self._write() as db:
            row = db.execute("SELECT target FROM domain_aliases WHERE name=?",
                             (target,)).fetchone()
            if row:
                raise StateError(f"{target} is itself an alias of {row[0]}: make {domain} an "
                                 f"alias of {row[0]}", "alias_of")
            if not db.execute("SELECT 1 FROM domains WHERE name=?", (target,)).fetchone():
                raise StateError(f"no such domain: {target} (add it first)", "alias_of")
            if domain == target:
                raise StateError(f"{domain} cannot be an alias of itself", "domain")
            self._refuse_taken(db, domain)
            db.execute("INSERT INTO domain_aliases(name, target, created) VALUES(?, ?, ?)",
                       (domain, target, time.time()))
        return domain

    def delete_domain(self, name: str) -> str | None:
        """Delete a domain, or just the alias when ``name`` is one (then: what it aliased)."""
        domain = normalize_domain(name.strip())
        with self._write() as db:
            row = db.execute("SELECT target FROM domain_aliases WHERE name=?",
                             (domain,)).fetchone()
            if row:
                db.execute("DELETE FROM domain_aliases WHERE name=?", (domain,))
                return str(row[0])
            if not db.execute("SELECT 1 FROM domains WHERE name=?", (domain,)).fetchone():
                raise StateError(f"no such domain: {domain}", "domain")
            used = db.execute(
                "SELECT count(*) FROM accounts WHERE domain=?", (domain,)
            ).fetchone()[0]
            if used:
                raise StateError(
                    f"domain {domain} still has {used} account(s); delete them first", "domain"
                )
            aliases = [r[0] for r in db.execute(
                "SELECT name FROM domain_aliases WHERE target=? ORDER BY name", (domain,))]
            if aliases:
                raise StateError(
                    f"domain {domain} still has the alias(es) {', '.join(aliases)}; delete "
                    f"them first", "domain")
            db.execute("DELETE FROM aliases WHERE address LIKE ?", (f"%@{domain}",))
            db.execute("DELETE FROM domains WHERE name=?", (domain,))
        return None

    # -- accounts ---------------------------------------------------------

    def _local_address(self, text: str, field: str, db: sqlite3.Connection | None = None) -> str:
        if text.strip().startswith("@"):  # "@domain": the domain's catch-all alias
            domain = normalize_domain(text.strip()[1:])
            if not is_valid_domain(domain):
                raise StateError(f"not a valid domain: {domain!r}", field)
            address = f"@{domain}"
        else:
            address = _address(text, field)
        domain = address.rpartition("@")[2]
        conn = db or self._db
        with self._lock:
            known = conn.execute("SELECT 1 FROM domains WHERE name=?", (domain,)).fetchone()
            alias = None if known else conn.execute(
                "SELECT target FROM domain_aliases WHERE name=?", (domain,)).fetchone()
        if alias:
            # One mailbox, one address: the alias domain reaches it already.
            raise StateError(f"{domain} is an alias of {alias[0]}: use "
                             f"{address.rpartition('@')[0]}@{alias[0]}", field)
        if not known:
            raise StateError(f"{domain} is not one of this server's domains", field)
        return address

    def account(self, address: str) -> Account | None:
        """The account ``address`` reaches; through a domain alias, the real domain's."""
        rows = self._query(
            "SELECT a.*, f.targets, f.keep_copy FROM accounts a "
            "LEFT JOIN forwards f ON f.account = a.address WHERE a.address=?",
            (address.lower(),),
        )
        if not rows:
            canonical = self._canonical_address(address.lower())
            return self.account(canonical) if canonical else self._first_postmaster(address)
        r = rows[0]
        fwd = (
            Forward(tuple(json.loads(r["targets"])), bool(r["keep_copy"]))
            if r["targets"] is not None
            else None
        )
        return Account(
            r["address"], r["domain"], r["local"], r["password_hash"],
            r["quota_bytes"], bool(r["enabled"]), fwd,
        )

    def _first_postmaster(self, address: str) -> Account | None:
        """postmaster@DOMAIN on a server with no account yet (a bare ``init``).

        RFC 5321 4.5.1: postmaster must take mail from the first minute.
        Until an account exists it is a mailbox of its own that nobody can
        log in to (no password); ``account add postmaster@DOMAIN`` claims it,
        mail included. Once any account exists, postmaster goes to the first
        account made (``alias_targets``).
        """
        local, _, domain = address.lower().rpartition("@")
        if local != "postmaster" or not self.is_local_domain(domain):
            return None
        if self._query("SELECT 1 FROM accounts LIMIT 1"):
            return None
        return Account(f"postmaster@{domain}", domain, "postmaster", "", 0, True)

    def accounts(self) -> list[Account]:
        rows = self._query("SELECT address FROM accounts ORDER BY domain, local")
        return [a for a in (self.account(r["address"]) for r in rows) if a is not None]

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise StateError(
                f"password too short (at least {MIN_PASSWORD_LENGTH} characters)", "password"
            )

    def add_account(self, address: str, password: str, quota_bytes: int = 0) -> str:
        addr = self._local_address(address, "address")
        if addr.startswith("@"):
            raise StateError("an account needs a user name before the @", "address")
        self._check_password(password)
        if quota_bytes < 0:
            raise StateError("quota must not be negative", "quota")
        hashed = hash_password(password)
        local, _, domain = addr.rpartition("@")
        with self._write() as db:
            if db.execute("SELECT 1 FROM accounts WHERE address=?", (addr,)).fetchone():
                raise StateError(f"account {addr} already exists", "address")
            if db.execute("SELECT 1 FROM aliases WHERE address=?", (addr,)).fetchone():
                raise StateError(f"{addr} is already an alias", "address")
            db.execute(
                "INSERT INTO accounts(address, domain, local, password_hash, quota_bytes, "
                "enabled, created) VALUES(?, ?, ?, ?, ?, 1, ?)",
                (addr, domain, local, hashed, quota_bytes, time.time()),
            )
        return addr

    def _existing_account(self, address: str, db: sqlite3.Connection) -> str:
        addr = _address(address, "address")
        if not db.execute("SELECT 1 FROM accounts WHERE address=?", (addr,)).fetchone():
            raise StateError(f"no such account: {addr}", "address")
        return addr

    def delete_account(self, address: str) -> None:
        with self._write() as db:
            addr = self._existing_account(address, db)
            db.execute("DELETE FROM aliases WHERE target=?", (addr,))
            # Forwards of other accounts that name it lose that target.
            for account, targets in db.execute(
                "SELECT account, targets FROM forwards WHERE account != ?", (addr,)
            ).fetchall():
                kept = [t for t in json.loads(targets) if t != addr]
                if not kept:
                    db.execute("DELETE FROM forwards WHERE account=?", (account,))
                elif len(kept) != len(json.loads(targets)):
                    db.execute("UPDATE forwards SET targets=? WHERE account=?",
                               (json.dumps(kept), account))
            db.execute("DELETE FROM accounts WHERE address=?", (addr,))

    def set_password(self, address: str, password: str) -> None:
        self._check_password(password)
        hashed = hash_password(password)
        with self._write() as db:
            addr = self._existing_account(address, db)
            db.execute("UPDATE accounts SET password_hash=? WHERE address=?", (hashed, addr))

    def set_enabled(self, address: str, enabled: bool) -> None:
        with self._write() as db:
            addr = self._existing_account(address, db)
            db.execute("UPDATE accounts SET enabled=? WHERE address=?", (int(enabled), addr))

    def set_quota(self, address: str, quota_bytes: int) -> None:
        if quota_bytes < 0:
            raise StateError("quota must not be negative", "quota")
        with self._write() as db:
            addr = self._existing_account(address, db)
            db.execute("UPDATE accounts SET quota_bytes=? WHERE address=?", (quota_bytes, addr))

    # -- aliases ----------------------------------------------------------

    def alias_targets(self, address: str) -> list[str] | None:
        """The alias (or catch-all, "@domain") ``address`` names, through domain aliases too."""
        address = address.lower()
        rows = self._query(
            "SELECT target FROM aliases WHERE address=? ORDER BY position", (address,)
        )
        if rows:
            return [r["target"] for r in rows]
        canonical = self._canonical_address(address)
        if canonical:
            return self.alias_targets(canonical)
        if address.startswith("postmaster@") and self.is_local_domain(address[11:]):
            # RFC 5321 4.5.1: postmaster must always take mail. Without an
            # alias it goes to the first account made (the administrator's).
            first = self._query("SELECT address FROM accounts ORDER BY created LIMIT 1")
            if first:
                return [first[0]["address"]]
        return None

    def aliases(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self._query("SELECT address, target FROM aliases ORDER BY address, position"):
            out.setdefault(r["address"], []).append(r["target"])
        return out

    def _target(self, text: str, db: sqlite3.Connection) -> str:
        text = text.strip()
        if text.lower().startswith(ERROR_PREFIX):
            reply = text[len(ERROR_PREFIX):].strip()
            code = reply[:3]
            if not (code.isdigit() and code[0] in "45"):
                raise StateError(f"error target needs a 4xx or 5xx code: {text!r}", "targets")
            return ERROR_PREFIX + reply
        addr = _address(text, "targets")
        local, _, domain = addr.rpartition("@")
        row = db.execute("SELECT target FROM domain_aliases WHERE name=?", (domain,)).fetchone()
        if row:
            addr, domain = f"{local}@{row[0]}", row[0]
        if db.execute("SELECT 1 FROM domains WHERE name=?", (domain,)).fetchone():
            known = db.execute(
                "SELECT 1 FROM accounts WHERE address=? UNION SELECT 1 FROM aliases "
                "WHERE address=?",
                (addr, addr),
            ).fetchone()
            if not known:
                raise StateError(f"no such local account or alias: {addr}", "targets")
        return addr

    @staticmethod
    def _find_loop(db: sqlite3.Connection, start: str) -> list[str] | None:
        graph: dict[str, list[str]] = {}
        for address, target in db.execute("SELECT address, target FROM aliases"):
            graph.setdefault(address, []).append(target)

        def walk(node: str, path: list[str]) -> list[str] | None:
            for nxt in graph.get(node, []):
                if nxt in path:
                    return [*path[path.index(nxt):], nxt]
                if nxt in graph:
                    found = walk(nxt, [*path, nxt])
                    if found:
                        return found
            return None

        return walk(start, [start])

    def add_alias(self, address: str, targets: Iterable[str]) -> str:
        targets = list(targets)
        if not targets:
            raise StateError("an alias needs at least one target", "targets")
        with self._write() as db:
            addr = self._local_address(address, "address", db)
            if db.execute("SELECT 1 FROM accounts WHERE address=?", (addr,)).fetchone():
                raise StateError(f"{addr} is an account, not an alias", "address")
            self._insert_targets(db, addr, targets)
            loop = self._find_loop(db, addr)
            if loop:
                raise StateError("alias loop: " + " → ".join(loop), "targets")
        return addr

    def _insert_targets(self, db: sqlite3.Connection, addr: str, targets: list[str]) -> None:
        # The alias itself counts as known while its own targets are checked,
        # so that a self-reference is reported as a loop rather than unknown.
        db.execute(
            "INSERT OR IGNORE INTO aliases(address, target, position) VALUES(?, ?, -1)",
            (addr, ":placeholder:"),
        )
        start = db.execute(
            "SELECT coalesce(max(position), -1) + 1 FROM aliases WHERE address=?", (addr,)
        ).fetchone()[0]
        for i, raw in enumerate(targets):
            target = self._target(raw, db)
            db.execute(
                "INSERT OR IGNORE INTO aliases(address, target, position) VALUES(?, ?, ?)",
                (addr, target, start + i),
            )
        db.execute("DELETE FROM aliases WHERE address=? AND target=':placeholder:'", (addr,))

    def delete_alias(self, address: str, targets: Iterable[str] = ()) -> None:
        targets = list(targets)
        with self._write() as db:
            addr = _address(address, "address")
            if not db.execute("SELECT 1 FROM aliases WHERE address=?", (addr,)).fetchone():
                raise StateError(f"no such alias: {addr}", "address")
            if not targets:
                db.execute("DELETE FROM aliases WHERE address=?", (addr,))
                return
            for raw in targets:
                t = raw.strip()
                t = t if t.lower().startswith(ERROR_PREFIX) else _address(t, "targets")
                cur = db.execute("DELETE FROM aliases WHERE address=? AND target=?", (addr, t))
                if not cur.rowcount:
                    raise StateError(f"{t} is not a member of {addr}", "targets")

    def replace_aliases(self, entries: dict[str, list[str]]) -> None:
        """Set many aliases at once (an import): all are checked, or none stored."""
        with self._write() as db:
            addrs = {}
            for name in entries:
                addr = self._local_address(name, "address", db)
                if db.execute("SELECT 1 FROM accounts WHERE address=?", (addr,)).fetchone():
                    raise StateError(f"{addr} is an account, not an alias", "address")
                db.execute("DELETE FROM aliases WHERE address=?", (addr,))
                addrs[name] = addr
            # Placeholders first so aliases may name each other in any order.
            for addr in addrs.values():
                db.execute(
                    "INSERT INTO aliases(address, target, position) VALUES(?, ':placeholder:', -1)",
                    (addr,),
                )
            for name, targets in entries.items():
                self._insert_targets(db, addrs[name], targets)
            for addr in addrs.values():
                loop = self._find_loop(db, addr)
                if loop:
                    raise StateError("alias loop: " + " → ".join(loop), "targets")

    # -- forwards ---------------------------------------------------------

    def set_forward(self, address: str, targets: Iterable[str], keep_copy: bool) -> None:
        targets = list(targets)
        if not targets:
            raise StateError("forwarding needs at least one target", "targets")
        with self._write() as db:
            addr = self._existing_account(address, db)
            checked = [self._target(t, db) for t in targets]
            if any(t.startswith(ERROR_PREFIX) for t in checked):
                raise StateError("forward targets must be addresses", "targets")
            db.execute(
                "INSERT INTO forwards(account, targets, keep_copy) VALUES(?, ?, ?) "
                "ON CONFLICT(account) DO UPDATE SET targets=excluded.targets, "
                "keep_copy=excluded.keep_copy",
                (addr, json.dumps(checked), int(keep_copy)),
            )

    def clear_forward(self, address: str) -> None:
        with self._write() as db:
            addr = self._existing_account(address, db)
            db.execute("DELETE FROM forwards WHERE account=?", (addr,))

    # -- granted senders ----------------------------------------------------
    # Addresses an account may use as envelope sender besides its own and
    # the aliases that reach only it (smtpd_sender_login_maps in Postfix).

    def granted_senders(self, account: str) -> list[str]:
        rows = self._query("SELECT address FROM senders WHERE account=? ORDER BY address",
                           (account.strip().lower(),))
        return [r["address"] for r in rows]

    def grant_sender(self, account: str, address: str) -> str:
        sender = _address(address, "sender")
        with self._write() as db:
            addr = self._existing_account(account, db)
            if db.execute("SELECT 1 FROM senders WHERE account=? AND address=?",
                          (addr, sender)).fetchone():
                raise StateError(f"{addr} may already send as {sender}", "sender")
            db.execute("INSERT INTO senders(account, address) VALUES(?, ?)", (addr, sender))
        return sender

    def revoke_sender(self, account: str, address: str) -> None:
        sender = _address(address, "sender")
        with self._write() as db:
            addr = self._existing_account(account, db)
            cur = db.execute("DELETE FROM senders WHERE account=? AND address=?", (addr, sender))
            if not cur.rowcount:
                raise StateError(f"{sender} is not granted to {addr}", "sender")

    # -- relay networks ---------------------------------------------------

    def relay_networks(self) -> list[str]:
        rows = self._query("SELECT cidr FROM relay_networks")
        if not rows and not self._query("SELECT 1 FROM settings WHERE key='relay.initialized'"):
            return list(DEFAULT_RELAY)
        return sorted((r["cidr"] for r in rows), key=entry_order)

    def _ensure_relay_defaults(self, db: sqlite3.Connection) -> None:
        # The defaults live in the table once anything is changed, so that
        # deleting 127.0.0.1 is possible and remembered.
        if not db.execute("SELECT 1 FROM settings WHERE key='relay.initialized'").fetchone():
            for cidr in DEFAULT_RELAY:
                db.execute("INSERT OR IGNORE INTO relay_networks(cidr) VALUES(?)", (cidr,))
            db.execute("INSERT INTO settings(key, value) VALUES('relay.initialized', 'true')")

    def add_relay(self, network: str, note: str = "") -> str:
        cidr = _network(network)
        with self._write() as db:
            self._ensure_relay_defaults(db)
            if db.execute("SELECT 1 FROM relay_networks WHERE cidr=?", (cidr,)).fetchone():
                kind = "an exclusion" if cidr.startswith("!") else "a relay network"
                raise StateError(f"{cidr} is already {kind}", "network")
            db.execute("INSERT INTO relay_networks(cidr, note) VALUES(?, ?)", (cidr, note))
        return cidr

    def set_relay_networks(self, networks: Iterable[str]) -> list[str]:
        """Make the relay entries exactly ``networks``: all are checked, or nothing changes."""
        wanted: list[str] = []
        for text in networks:
            cidr = _network(text)
            if cidr not in wanted:
                wanted.append(cidr)
        with self._write() as db:
            self._ensure_relay_defaults(db)
            db.execute("DELETE FROM relay_networks WHERE cidr NOT IN "
                       f"({','.join('?' * len(wanted))})", wanted)
            for cidr in wanted:
                db.execute("INSERT OR IGNORE INTO relay_networks(cidr) VALUES(?)", (cidr,))
        return self.relay_networks()

    def delete_relay(self, network: str) -> None:
        # An entry stored before the open-relay check must still be removable.
        cidr = _network(network, judge=False)
        with self._write() as db:
            self._ensure_relay_defaults(db)
            cur = db.execute("DELETE FROM relay_networks WHERE cidr=?", (cidr,))
            if not cur.rowcount:
                kind = "an exclusion" if cidr.startswith("!") else "a relay network"
                raise StateError(f"{cidr} is not {kind}", "network")

    # -- client/sender access list (appliance.state.access) ----------------

    def access_rules(self) -> list[AccessRule]:
        rows = self._query("SELECT kind, key, action, reply, note FROM access ORDER BY kind, key")
        return [AccessRule(r["kind"], r["key"], r["action"], r["reply"], r["note"])
                for r in rows]

    def add_access(self, kind: str, key: str, action: str, reply: str = "",
                   note: str = "", replace: bool = False) -> AccessRule:
        """Store one rule; ``replace``: an existing rule for the same key is changed."""
        try:
            rule = parse_rule(kind, key, action, reply, note)
        except AccessError as exc:
            raise StateError(str(exc), "access") from exc
        with self._write() as db:
            old = db.execute("SELECT action FROM access WHERE kind=? AND key=?",
                             (rule.kind, rule.key)).fetchone()
            if old and not replace:
                raise StateError(f"{rule.kind} {rule.key} already has an access rule "
                                 f"({old[0]}); delete it first", "access")
            db.execute("INSERT OR REPLACE INTO access(kind, key, action, reply, note) "
                       "VALUES(?, ?, ?, ?, ?)",
                       (rule.kind, rule.key, rule.action, rule.reply, rule.note))
        return rule

    def delete_access(self, kind: str, key: str) -> None:
        try:
            rule = parse_rule(kind, key, "ok")
        except AccessError as exc:
            raise StateError(str(exc), "access") from exc
        with self._write() as db:
            cur = db.execute("DELETE FROM access WHERE kind=? AND key=?", (rule.kind, rule.key))
            if not cur.rowcount:
                raise StateError(f"no access rule for {rule.kind} {rule.key}", "access")
