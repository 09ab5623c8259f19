"""The Filters page's simple rules, as Sieve and back.

A rule is one row: a condition (From, To, Subject or a named header;
contains, is or matches; a value) and an action (move to a folder, forward,
discard, mark read). The generated script carries the rows as JSON in its
first comment, so the page can show them again; a script edited by hand
(no marker, or a body that no longer matches the marker) has no rows and is
shown in expert mode.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from appliance.sieve.script import SieveError

__all__ = ["ACTIONS", "FIELDS", "OPERATORS", "Rule", "from_sieve", "to_sieve"]

FIELDS = ("from", "to", "subject", "header")
OPERATORS = ("contains", "is", "matches")
ACTIONS = ("move", "forward", "discard", "mark_read")
MARKER = "# mailroom-rules: "


@dataclass
class Rule:
    field: str = "subject"
    value: str = ""
    operator: str = "contains"
    action: str = "move"
    target: str = ""  # folder (move) or address (forward)
    header: str = ""  # the header's name when field is "header"

    def validate(self, number: int) -> None:
        where = f"rule {number}"
        if self.field not in FIELDS:
            raise SieveError(f"{where}: unknown field {self.field!r}")
        if self.operator not in OPERATORS:
            raise SieveError(f"{where}: unknown operator {self.operator!r}")
        if self.action not in ACTIONS:
            raise SieveError(f"{where}: unknown action {self.action!r}")
        if self.field == "header" and (not self.header or any(
                c.isspace() or c == ":" or ord(c) < 33 for c in self.header)):
            raise SieveError(f"{where}: give the header's name (like X-Mailer)")
        if self.action in ("move", "forward") and not self.target.strip():
            raise SieveError(f"{where}: give the " +
                             ("folder" if self.action == "move" else "address"))
        if self.action == "forward" and "@" not in self.target:
            raise SieveError(f"{where}: {self.target!r} is not a mail address")
        if any(c in self.value + self.target for c in "\r\n"):
            raise SieveError(f"{where}: values must be one line")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rule_sieve(rule: Rule) -> list[str]:
    op = f":{rule.operator}"
    if rule.field in ("from", "to"):
        names = '"from"' if rule.field == "from" else '["to", "cc"]'
        test = f"address {op} {names} {_quote(rule.value)}"
        if rule.operator == "contains":
            # Names as well as addresses: "contains Bank" should find "My Bank <x@y>".
            test = f"header {op} {names} {_quote(rule.value)}"
    else:
        name = "subject" if rule.field == "subject" else rule.header
        test = f"header {op} {_quote(name)} {_quote(rule.value)}"
    action = {
        "move": f"fileinto {_quote(rule.target.strip())};",
        "forward": f"redirect {_quote(rule.target.strip())};",
        "discard": "discard;",
        "mark_read": 'addflag "\\\\Seen";',
    }[rule.action]
    body = [action] if rule.action == "mark_read" else [action, "stop;"]
    return [f"if {test} {{", *(f"  {b}" for b in body), "}"]


def _body(rules: list[Rule]) -> str:
    lines: list[str] = []
    needs = []
    if any(r.action == "move" for r in rules):
        needs.append('"fileinto"')
    if any(r.action == "mark_read" for r in rules):
        needs.append('"imap4flags"')
    if needs:
        lines.append(f"require [{', '.join(needs)}];")
    for rule in rules:
        lines += _rule_sieve(rule)
    return "\n".join(lines) + "\n"


def to_sieve(rules: list[Rule]) -> str:
    """The script for ``rules``, in order; the first rule that moves, forwards or
    discards a message ends the filtering (marking read goes on)."""
    for number, rule in enumerate(rules, 1):
        rule.validate(number)
    marker = MARKER + json.dumps([asdict(r) for r in rules], ensure_ascii=False)
    return f"{marker}\n{_body(rules)}"


def from_sieve(text: str) -> list[Rule] | None:
    """The rows a generated script was made from; None if it was edited by hand."""
    first, _, rest = text.partition("\n")
    if not first.startswith(MARKER):
        return None
    try:
        rows = json.loads(first[len(MARKER):])
        rules = [Rule(**{k: str(v) for k, v in row.items() if k in Rule.__dataclass_fields__})
                 for row in rows]
        for number, rule in enumerate(rules, 1):
            rule.validate(number)
    except (ValueError, TypeError, SieveError):
        return None
    return rules if _body(rules) == rest else None
