"""Import a sendmail setup: its files in, a plan out (every change, every line not carried).

``plan_import`` is a pure function of the files' texts and a snapshot of
what the box has now; nothing is written here. Each change names the
control operation that makes it, so applying is a list of ordinary
operations (the one writer), and ``--dry-run`` prints the same list.

What each file becomes:

* ``access``: ``Connect:NET RELAY`` a relay network (``192.168.1`` is
  192.168.1.0/24); REJECT / DISCARD / OK / ``ERROR:...`` for a client
  network or a sender (``From:``, or untagged) an access-list rule.
* ``local-host-names``: each name another name (domain alias) of the
  main domain, unless it is a domain already.
* ``aliases`` (with ``:include:`` files beside it): aliases and groups,
  each added after the aliases it names.
* ``virtusertable``: ``user@dom target`` an alias, ``@dom target`` a
  catch-all, ``@dom %1`` (or ``%1@local-domain``) a domain alias,
  ``error:...`` an error target.
* ``HOME/USER/.forward``: the account's forwarding (``\\USER`` keeps a copy).
* ``HOME/USER/.procmailrc``: through the procmail converter, when there is one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from appliance.aliases import parse_aliases
from appliance.state.access import AccessError, parse_reply, parse_rule
from appliance.state.relay import RelayNetworkError, normalize_relay, parse_relay

__all__ = ["Change", "Problem", "Plan", "Snapshot", "SendmailFiles", "plan_import",
           "access_network", "error_reply"]

ERROR_PREFIX = ":error:"
_LOCALHOST = {"localhost", "localhost.localdomain", "127.0.0.1", "::1", "ipv6:::1"}


@dataclass(frozen=True)
class Change:
    op: str  # the control operation that makes it
    args: dict[str, Any]
    text: str  # what it does, in words
    source: str  # file:line


@dataclass(frozen=True)
class Problem:
    source: str  # file:line (or file)
    line: str  # the line as written (blanks shown as one space)
    why: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "line", " ".join(self.line.split()))


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: list[Change] = field(default_factory=list)  # already so on this box
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"changes": [asdict(c) for c in self.changes],
                "unchanged": [asdict(c) for c in self.unchanged],
                "problems": [asdict(p) for p in self.problems]}


@dataclass(frozen=True)
class Snapshot:
    """What the box has now (from the state store), as plain data."""

    domains: list[str]
    domain_aliases: dict[str, str]  # alias -> domain
    accounts: list[str]
    aliases: dict[str, list[str]]
    relay: list[str]
    access: list[tuple[str, str]] = ()  # type: ignore[assignment]  # (kind, key)


@dataclass
class SendmailFiles:
    """The texts found (None: not there). ``includes``: other files beside them, by name."""

    access: str | None = None
    local_host_names: str | None = None
    aliases: str | None = None
    virtusertable: str | None = None
    includes: dict[str, str] = field(default_factory=dict)
    forwards: dict[str, str] = field(default_factory=dict)  # user -> .forward text
    procmailrcs: dict[str, str] = field(default_factory=dict)  # user -> .procmailrc text
    # Files that were found but cannot be carried as they are (name -> why).
    unreadable: dict[str, str] = field(default_factory=dict)
    directory: str = ""  # where they were read (aliases' :include: files are looked up there)


def _lines(text: str) -> Iterable[tuple[int, str]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


# -- access ---------------------------------------------------------------------


def access_network(text: str) -> str | None:
    """sendmail's ``Connect:`` address prefix as CIDR (``192.168.1`` → 192.168.1.0/24).

    None when ``text`` is a host or domain name rather than an address.
    """
    raw = text.strip()
    if raw.lower().startswith("ipv6:"):
        try:
            return str(ipaddress.IPv6Network(raw[5:], strict=False))
        except ValueError:
            return None
    parts = raw.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    octets = [int(p) for p in parts] + [0] * (4 - len(parts))
    return str(ipaddress.IPv4Network((bytes(octets), 8 * len(parts))))


_ENHANCED = re.compile(r"^(\d\.\d{1,3}\.\d{1,3}):(.*)$")
_NAMED_ERRORS = {"nouser": "550 5.1.1", "unavailable": "550 5.7.1", "tempfail": "451 4.3.0",
                 "noperm": "550 5.7.1", "dataerr": "550 5.6.0"}


def error_reply(text: str) -> str:
    """An ``ERROR:`` / ``error:`` right-hand side as an SMTP reply; ValueError if it is none.

    ``"550 text"``, ``5.7.1:550 text``, ``nouser 550 text`` (sendmail's
    error names) and plain ``550 text`` are understood.
    """
    body = text.strip()
    if body.lower().startswith("error:"):
        body = body[6:].strip()
    body = body.strip('"').strip()
    enhanced = ""
    m = _ENHANCED.match(body)
    if m:
        enhanced, body = m.group(1), m.group(2).strip().strip('"').strip()
    word, _, rest = body.partition(" ")
    if word.lower() in _NAMED_ERRORS:
        default = _NAMED_ERRORS[word.lower()]
        rest = rest.strip()
        if rest[:3].isdigit():
            code, _, words = rest.partition(" ")
            body = f"{code} {words}"
            if not enhanced and not re.match(r"^\d\.\d{1,3}\.\d{1,3}\b", words):
                enhanced = default.split()[1]  # nouser: 5.1.1, as sendmail says it
        else:
            body = f"{default} {rest or 'User unknown'}"
    if enhanced and body[:3].isdigit() and not _ENHANCED.match(body[4:]):
        code, _, words = body.partition(" ")
        if not re.match(r"^\d\.\d{1,3}\.\d{1,3}\b", words):
            body = f"{code} {enhanced} {words}"
    try:
        return parse_reply(body)
    except AccessError as exc:
        raise ValueError(str(exc)) from exc


def _access(text: str, snap: Snapshot, plan: Plan, relay_now: list[str]) -> None:
    for number, line in _lines(text):
        where = f"access:{number}"
        lhs, _, rhs = _split_access(line)

        def bad(why: str, where: str = where, line: str = line) -> None:
            plan.problems.append(Problem(where, line, why))

        if not rhs:
            bad("no action after the key")
            continue
        tag, sep, key = lhs.partition(":")
        if not sep or tag.lower() in ("ipv6",) or tag[:1].isdigit():
            tag, key = "", lhs  # untagged: an address, a domain, an e-mail address
        tag = tag.lower()
        action = rhs.split()[0].upper() if rhs.split() else ""
        if action.startswith("ERROR:"):
            action = "ERROR"
        elif rhs[:3].isdigit():  # "550 text" is an error too
            action, rhs = "ERROR", f"ERROR:{rhs}"
        if tag not in ("", "connect", "from", "to"):
            bad(f"the {tag.capitalize()}: tag is not carried over (Mailroom has no "
                f"{tag} lookups)")
            continue
        if tag == "to":
            if action == "RELAY":
                bad(f"To:{key} RELAY lets anyone relay mail to {key} through this server; "
                    "not carried over (Mailroom relays only for its relay networks and "
                    "logged-in users)")
            else:
                bad("recipient (To:) rules are not carried over: refuse a local address with "
                    "an alias to an error instead (mailroom alias add ADDR ':error:550 ...')")
            continue
        network = access_network(key) if tag in ("", "connect") else None
        if tag == "connect" and network is None:
            if key.lower() in _LOCALHOST and action in ("RELAY", "OK"):
                plan.unchanged.append(Change("relay.add", {"network": "127.0.0.1/32"},
                                             f"{key} may relay (127.0.0.1 and ::1 are relay "
                                             "networks)", where))
            else:
                bad(f"{key} is a host name: Mailroom matches clients by address; add their "
                    "network instead (mailroom relay add / access add client)")
            continue
        if network is not None:
            _client_rule(network, action, rhs, where, line, snap, plan, relay_now)
        else:
            _sender_rule(key, action, rhs, where, line, snap, plan)


def _split_access(line: str) -> tuple[str, str, str]:
    # The key ends at the first blank outside double quotes (From:"a b"@x is rare but legal).
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return line[:i], " ", line[i:].strip()
    return line, "", ""


def _rule_change(kind: str, key: str, action: str, rhs: str, where: str, line: str,
                 snap: Snapshot, plan: Plan) -> None:
    mapping = {"REJECT": "reject", "DISCARD": "discard", "OK": "ok", "ERROR": "error"}
    if action not in mapping:
        why = {"SKIP": "SKIP is not carried over (it only stops sendmail's own lookups)",
               "RELAY": f"relaying by {kind} is not carried over: a sender address is "
                        "easily forged (relay for networks or logged-in users instead)"}
        plan.problems.append(Problem(where, line, why.get(action, f"unknown action {action}")))
        return
    reply = ""
    if action == "ERROR":
        try:
            reply = error_reply(rhs)
        except ValueError as exc:
            plan.problems.append(Problem(where, line, str(exc)))
            return
    try:
        rule = parse_rule(kind, key, mapping[action], reply, note=where)
    except AccessError as exc:
        plan.problems.append(Problem(where, line, str(exc)))
        return
    args = {"kind": rule.kind, "key": rule.key, "action": rule.action, "reply": rule.reply,
            "note": f"imported from {where}"}
    words = {"reject": "refused", "discard": "taken and thrown away", "ok": "always let through",
             "error": f"refused with “{rule.reply}”"}[rule.action]
    change = Change("access.add", args, f"{rule.kind} {rule.key}: {words}", where)
    (plan.unchanged if (rule.kind, rule.key) in snap.access else plan.changes).append(change)


def _client_rule(network: str, action: str, rhs: str, where: str, line: str, snap: Snapshot,
                 plan: Plan, relay_now: list[str]) -> None:
    if action != "RELAY":
        _rule_change("client", network, action, rhs, where, line, snap, plan)
        return
    try:
        cidr = str(parse_relay(network))
    except RelayNetworkError as exc:
        plan.problems.append(Problem(where, line, str(exc)))
        return
    change = Change("relay.add", {"network": cidr}, f"relay network {cidr}", where)
    net = normalize_relay(cidr).network
    covered = any(not e.startswith("!") and net.version == normalize_relay(e).network.version
                  and net.subnet_of(normalize_relay(e).network)  # type: ignore[arg-type]
                  for e in relay_now)
    if covered:
        plan.unchanged.append(change)
    else:
        plan.changes.append(change)
        relay_now.append(cidr)


def _sender_rule(key: str, action: str, rhs: str, where: str, line: str, snap: Snapshot,
                 plan: Plan) -> None:
    _rule_change("sender", key, action, rhs, where, line, snap, plan)


# -- names, aliases, virtusertable, forwards ---------------------------------------


class _Names:
    """Local names as they will be once the planned changes are made."""

    def __init__(self, snap: Snapshot) -> None:
        self.domains = list(snap.domains)
        self.domain_aliases = dict(snap.domain_aliases)
        self.accounts = {a.lower() for a in snap.accounts}
        self.aliases = {a.lower() for a in snap.aliases}
        self.existing = {a.lower(): [t.lower() for t in ts] for a, ts in snap.aliases.items()}
        self.main = snap.domains[0] if snap.domains else ""

    def local(self, domain: str) -> bool:
        return domain in self.domains or domain in self.domain_aliases

    def real(self, domain: str) -> str | None:
        return domain if domain in self.domains else self.domain_aliases.get(domain)

    def qualify(self, name: str) -> str:
        return name.lower() if "@" in name else f"{name.lower()}@{self.main}"

    def canonical(self, address: str) -> str:
        local, _, domain = address.rpartition("@")
        real = self.real(domain)
        return f"{local}@{real}" if real else address

    def known(self, address: str) -> bool:
        """Mail to it has somewhere to go: an account or alias here, or another domain."""
        addr = self.canonical(address)
        domain = addr.rpartition("@")[2]
        if not self.local(domain):
            return True
        local = addr.rpartition("@")[0]
        return addr in self.accounts or addr in self.aliases or local == "postmaster"


def _local_host_names(text: str, names: _Names, plan: Plan) -> None:
    listed = [(n, line.split()[0].lower().rstrip(".")) for n, line in _lines(text)]
    # The main domain: the first listed name that is a domain here already.
    for _, name in listed:
        if name in names.domains:
            names.main = name
            break
    for number, name in listed:
        where = f"local-host-names:{number}"
        if name in _LOCALHOST:
            plan.problems.append(Problem(where, name, "localhost is always this host's own; "
                                                      "nothing to carry"))
            continue
        change = Change("domain.add", {"name": name, "alias_of": names.main},
                        f"{name}: another name of {names.main} (the same mailboxes)", where)
        if names.local(name):
            kind = "a domain" if name in names.domains else \
                f"an alias of {names.domain_aliases[name]}"
            plan.unchanged.append(Change("domain.add", {"name": name},
                                         f"{name}: already {kind}", where))
        elif not names.main:
            plan.problems.append(Problem(where, name, "add a domain first (mailroom init)"))
        else:
            plan.changes.append(change)
            names.domain_aliases[name] = names.main


def _aliases(text: str, includes: dict[str, str], names: _Names, plan: Plan) -> None:
    def read_include(path: str) -> str:
        base = path.rsplit("/", 1)[-1]
        if base in includes:
            return includes[base]
        raise OSError(f"cannot read {path} (copy it beside the aliases file)")

    parsed = parse_aliases(text, source="aliases", read_include=read_include)
    lines = text.splitlines()
    for warning in parsed.warnings:
        where, _, why = warning.partition(": ")
        number = where.rpartition(":")[2]
        shown = lines[int(number) - 1].strip() if number.isdigit() and \
            int(number) <= len(lines) else ""
        plan.problems.append(Problem(where, shown, why))
    defined = {names.canonical(names.qualify(e.name)) for e in parsed.entries}
    before = set(names.aliases)
    names.aliases |= defined
    entries: dict[str, tuple[int, str, list[str]]] = {}
    for entry in parsed.entries:
        where = f"aliases:{entry.line}"
        name = names.canonical(names.qualify(entry.name))
        if name in names.accounts:
            plan.problems.append(Problem(where, entry.name, f"{name} is an account; the alias "
                                                            "is skipped"))
            continue
        targets = []
        for target in entry.targets:
            if target.kind == "error":
                targets.append(ERROR_PREFIX + target.value)
                continue
            addr = names.qualify(target.value)
            if not names.known(addr):
                plan.problems.append(Problem(where, entry.name, f"{target.value}: no such "
                                             f"account here ({addr}); left out of {name} "
                                             f"(add it: mailroom account add {addr})"))
                continue
            targets.append(addr)
        entries[name] = (entry.line, entry.name, targets)
    # An alias left with no target is skipped, and so are the references to it,
    # which may leave another with none (root -> admin gone takes postmaster along).
    while True:
        gone = {n for n, (_, _, t) in entries.items() if not t}
        for name in gone:
            line, written, _ = entries.pop(name)
            plan.problems.append(Problem(f"aliases:{line}", written,
                                         f"{name}: nothing left to deliver to; skipped"))
        if not gone:
            break
        for name, (line, written, targets) in entries.items():
            for t in targets:
                if names.canonical(t) in gone:
                    plan.problems.append(Problem(f"aliases:{line}", written, f"{t} is skipped "
                                                 f"(see above); left out of {name}"))
            targets[:] = [t for t in targets if names.canonical(t) not in gone]
    names.aliases = before | set(entries)
    # Each alias after the aliases it names: alias.add checks that every target exists.
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "busy":
            raise ValueError(" → ".join([*path[path.index(name):], name]))
        state[name] = "busy"
        for t in entries[name][2]:
            if names.canonical(t) in entries:
                visit(names.canonical(t), [*path, name])
        state[name] = "done"
        order.append(name)

    for name in list(entries):
        try:
            visit(name, [])
        except ValueError as loop:
            line, written, _ = entries[name]
            plan.problems.append(Problem(f"aliases:{line}", written, f"alias loop: {loop}; "
                                         "skipped"))
            state[name] = "done"
    for name in order:
        line, _, targets = entries[name]
        _alias_change(name, targets, f"aliases:{line}", "alias", names, plan)


def _alias_change(name: str, targets: list[str], where: str, what: str, names: _Names,
                  plan: Plan) -> None:
    change = Change("alias.add", {"address": name, "targets": targets},
                    f"{what} {name} → {', '.join(targets)}", where)
    have = names.existing.get(name)
    (plan.unchanged if have is not None and {t.lower() for t in targets} <= set(have) else
     plan.changes).append(change)


def _virtusertable(text: str, names: _Names, plan: Plan) -> None:
    for number, line in _lines(text):
        where = f"virtusertable:{number}"
        parts = line.split(None, 1)
        if len(parts) < 2:
            plan.problems.append(Problem(where, line, "no target after the address"))
            continue
        key, target = parts[0].lower(), parts[1].strip()
        local, at, domain = key.rpartition("@")
        if not at:
            plan.problems.append(Problem(where, line, f"{key} is not an address or @domain"))
            continue
        real = names.real(domain)
        if real is None:
            plan.problems.append(Problem(where, line, f"{domain} is not one of this server's "
                                         "domains (not in local-host-names): Mailroom already "
                                         "refuses mail for it (554 relay access denied)"))
            continue
        if target.lower().startswith("error:"):
            try:
                reply = error_reply(target)
            except ValueError as exc:
                plan.problems.append(Problem(where, line, str(exc)))
                continue
            _virtual_alias(key if local else f"@{domain}", [ERROR_PREFIX + reply], where, line,
                           names, plan)
            continue
        if "%1" in target:
            rest = target.replace("%1", "", 1)
            other = rest.lstrip("@").lower() or real
            if local or (rest and not rest.startswith("@")):
                plan.problems.append(Problem(where, line, "%1 is carried over only as "
                                             "@domain %1[@otherdomain] (a domain alias)"))
                continue
            other_real = names.real(other)
            if other_real is None:
                plan.problems.append(Problem(where, line, f"user@{domain} to user@{other} (a "
                                             "domain outside this server) is not carried over: "
                                             "Mailroom has no per-user rewrite to another "
                                             "domain"))
                continue
            if real == other_real and domain != real or domain == other_real:
                plan.unchanged.append(Change("domain.add", {"name": domain}, f"user@{domain} "
                                             f"reaches user@{other_real} already", where))
                continue
            if domain in names.domains:
                plan.problems.append(Problem(where, line, f"{domain} has mailboxes of its own; "
                                             f"make it an alias of {other_real} by hand"))
                continue
            plan.problems.append(Problem(where, line, f"{domain} is an alias of {real}, not of "
                                         f"{other_real}; change it by hand"))
            continue
        targets = []
        bad = False
        for t in re.split(r"[\s,]+", target):
            if not t:
                continue
            addr = names.qualify(t)
            if not names.known(addr):
                plan.problems.append(Problem(where, line, f"{t}: no such account here ({addr}) "
                                             f"(add it: mailroom account add {addr})"))
                bad = True
                break
            targets.append(addr)
        if not bad and targets:
            _virtual_alias(key if local else f"@{domain}", targets, where, line, names, plan)


def _virtual_alias(key: str, targets: list[str], where: str, line: str, names: _Names,
                   plan: Plan) -> None:
    local, _, domain = key.rpartition("@")
    real = names.real(domain) or domain
    if not local and real != domain:
        plan.problems.append(Problem(where, line, f"{domain} is an alias of {real}: a "
                                     f"catch-all for it would be one for {real}; set @{real} "
                                     "by hand if that is meant"))
        return
    address = f"{local}@{real}" if local else f"@{real}"
    if address in names.accounts:
        plan.problems.append(Problem(where, line, f"{address} is an account; it keeps its own "
                                     "mail (not made an alias)"))
        return
    names.aliases.add(address)
    _alias_change(address, targets, where, "catch-all" if not local else "alias", names, plan)


def _split_targets(line: str) -> list[str]:
    """Targets on a .forward line: split at commas and blanks outside double quotes."""
    items, current, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif (ch == "," or ch.isspace()) and not quoted:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    return [i.strip() for i in items if i.strip()]


def _forward(user: str, text: str, names: _Names, plan: Plan) -> None:
    account = names.canonical(names.qualify(user))
    source = f"{user}/.forward"
    if account not in names.accounts:
        plan.problems.append(Problem(source, "", f"{account} is not an account here: its "
                                     f".forward is not carried (add the account first)"))
        return
    targets: list[str] = []
    keep = False
    for number, line in _lines(text):
        where = f"{source}:{number}"
        for item in _split_targets(line):
            if not item:
                continue
            if item.startswith("|") or item.startswith("/") or item.lower().startswith(
                    ":include:"):
                kind = "a program" if item.startswith("|") else "a file"
                plan.problems.append(Problem(where, line, f"delivery to {kind} ({item}) is not "
                                             "carried: Mailroom never runs programs or writes "
                                             "files for a sender"))
                continue
            if item.startswith("\\") or names.canonical(names.qualify(item)) == account:
                keep = True  # \user: also keep a copy in the user's own mailbox
                continue
            addr = names.qualify(item)
            if not names.known(addr):
                plan.problems.append(Problem(where, line, f"{item}: no such account here "
                                             f"({addr}); left out"))
                continue
            targets.append(addr)
    if not targets:
        plan.problems.append(Problem(source, "", "nothing left to forward to; not carried"))
        return
    copy = " (keeping a copy)" if keep else ""
    plan.changes.append(Change("forward.set", {"address": account, "targets": targets,
                                               "keep_copy": keep},
                               f"{account} forwards to {', '.join(targets)}{copy}", source))


def plan_import(files: SendmailFiles, snap: Snapshot,
                convert_procmail: Callable[[str], tuple[str, list[str]]] | None = None) -> Plan:
    """Every change the import would make, and every line it cannot carry, in file order."""
    plan = Plan()
    names = _Names(snap)
    for name, why in files.unreadable.items():
        plan.problems.append(Problem(name, "", why))
    if files.local_host_names is not None:
        _local_host_names(files.local_host_names, names, plan)
    if files.access is not None:
        _access(files.access, snap, plan, list(snap.relay))
    if files.aliases is not None:
        _aliases(files.aliases, files.includes, names, plan)
    if files.virtusertable is not None:
        _virtusertable(files.virtusertable, names, plan)
    for user, text in sorted(files.forwards.items()):
        _forward(user, text, names, plan)
    for user, text in sorted(files.procmailrcs.items()):
        source = f"{user}/.procmailrc"
        if convert_procmail is None:
            plan.problems.append(Problem(source, "", "procmail recipes are not carried yet: "
                                         "this Mailroom has no procmail converter"))
            continue
        account = names.canonical(names.qualify(user))
        if account not in names.accounts:
            plan.problems.append(Problem(source, "", f"{account} is not an account here"))
            continue
        sieve, problems = convert_procmail(text)
        lines = text.splitlines()
        for problem in problems:
            m = re.match(r"line (\d+): (.*)", problem, re.S)
            if m and 0 < int(m.group(1)) <= len(lines):
                plan.problems.append(Problem(f"{source}:{m.group(1)}",
                                             lines[int(m.group(1)) - 1], m.group(2)))
            else:
                plan.problems.append(Problem(source, "", problem))
        recipes = sum(1 for line in sieve.splitlines() if line.startswith("# procmail recipe"))
        if recipes:
            plan.changes.append(Change(
                "filter.import_procmail", {"address": account, "text": text, "source": source},
                f"{account}: {recipes} procmail recipe(s) as Sieve filter rules", source))
    return plan
