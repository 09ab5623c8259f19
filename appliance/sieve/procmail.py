"""Turning simple ``.procmailrc`` recipes into Sieve.

What converts: ``:0`` recipes with the flags c (copy), D (case-sensitive),
H/B (header or body), a lock (``:0:``) which Sieve needs not; conditions
``* ^Header:.*text``, ``* ^TO_addr``, ``* !...`` (negation), ``* < N`` /
``* > N`` (size), and patterns made of literal text, ``.``, ``.*``, ``.+``,
``^``/``$`` and ``[Xx]`` case pairs; actions: a folder (``spam``, ``boss/``,
``.Folder/``, ``$MAILDIR/.Folder/``), ``/dev/null`` (discard) and ``!``
(forward). Everything else (pipes ``|``, nested ``{ }`` blocks, regex
alternatives, variables) is refused with its line number and left out; the
rest still converts. The pattern translation never yields a regex, only
``:contains``/``:matches`` keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Recipe", "convert"]

# procmail's ^TO_ / ^TO: the destination headers
_TO_HEADERS = ["To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Apparently-To"]
# A pattern with no ^Header: searches the whole header; Sieve names headers.
_ANY_HEADERS = ["Subject", "From", "To", "Cc", "Reply-To", "Content-Type"]
_KNOWN_FLAGS = set("HBDcwWhbf:")


class _Unsupported(Exception):
    pass


@dataclass
class Recipe:
    line: int
    flags: str
    conditions: list[tuple[int, str]] = field(default_factory=list)
    action: str = ""
    action_line: int = 0


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(pattern: str) -> tuple[str, str]:
    """A procmail regex as (match type, Sieve key); _Unsupported if it is no simple one."""
    anchored_start = pattern.startswith("^")
    if anchored_start:
        pattern = pattern[1:]
    anchored_end = pattern.endswith("$") and not pattern.endswith("\\$")
    if anchored_end:
        pattern = pattern[:-1]
    out: list[str] = []  # Sieve :matches tokens, literal text escaped
    wild = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
        if ch == "\\" and nxt:
            out.append("\\" + nxt if nxt in "*?\\" else nxt)
            i += 2
        elif ch == "." and nxt == "*":
            out.append("*")
            wild = True
            i += 2
        elif ch == "." and nxt == "+":
            out.append("?*")
            wild = True
            i += 2
        elif ch == ".":
            out.append("?")
            wild = True
            i += 1
        elif ch == "[":
            end = pattern.find("]", i)
            chars = pattern[i + 1:end] if end > 0 else ""
            if len(chars) == 2 and chars[0].lower() == chars[1].lower() and chars[0].isalpha():
                out.append(chars[0].lower())
                i = end + 1
            else:
                raise _Unsupported(f"character class [{chars}]")
        elif ch in "()|+?*{}^$":
            raise _Unsupported(f"regular expression operator {ch!r}")
        elif ch == "*" or ch == "?":
            out.append("\\" + ch)
            i += 1
        else:
            out.append(ch)
            i += 1
    body = "".join(out)
    if not wild:
        literal = "".join(t[1:] if t.startswith("\\") else t for t in out)
        if not anchored_start and not anchored_end:
            return ":contains", literal
        if anchored_start and anchored_end:
            return ":is", literal
    key = ("" if anchored_start else "*") + body + ("" if anchored_end else "*")
    while "**" in key:
        key = key.replace("**", "*")
    if key.startswith("*") and key.endswith("*") and "?" not in key and \
            "*" not in key[1:-1].replace("\\*", ""):
        return ":contains", key[1:-1].replace("\\*", "*").replace("\\?", "?").replace("\\\\", "\\")
    return ":matches", key


def _header_split(pattern: str) -> tuple[list[str] | None, str]:
    """``^Subject:.*x`` → (["Subject"], ".*x"); a pattern naming no header → (None, it)."""
    if pattern.startswith("^TO_") or (pattern.startswith("^TO") and not pattern.startswith("^TO:")):
        rest = pattern[4:] if pattern.startswith("^TO_") else pattern[3:]
        return _TO_HEADERS, ".*" + rest
    if pattern.startswith("^"):
        name, colon, rest = pattern[1:].partition(":")
        if colon and name and all(c.isalnum() or c in "-_" for c in name):
            rest = rest.lstrip(" ")
            while rest.startswith((" *", "[ ]*", "[ \t]*", "\\s*")):
                rest = rest.split("*", 1)[1].lstrip(" ")
            return [name], ".*" + rest if not rest.startswith(".*") else rest
    return None, pattern


def _condition(text: str, flags: str) -> tuple[str, set[str], str | None]:
    """(Sieve test, extensions it needs, a note for the reader or None)."""
    negate = text.startswith("!")
    if negate:
        text = text[1:].lstrip()
    note = None
    needs: set[str] = set()
    if text.startswith(("<", ">")):
        try:
            size = int(text[1:].strip())
        except ValueError:
            raise _Unsupported(f"size condition {text!r}") from None
        test = f"size {':under' if text[0] == '<' else ':over'} {size}"
    elif text.startswith(("?", "$")):
        raise _Unsupported("conditions that run a program or expand variables")
    else:
        comparator = ' :comparator "i;octet"' if "D" in flags else ""
        if "B" in flags and "H" not in flags:
            match, key = _key(text)
            needs.add("body")
            test = f"body :raw {match}{comparator} {_quote(key)}"
        else:
            headers, rest = _header_split(text)
            if headers is None:
                headers = _ANY_HEADERS
                note = ("Sieve names the headers it searches; procmail searched them all: "
                        f"this looks in {', '.join(_ANY_HEADERS)}")
            match, key = _key(rest)
            names = _quote(headers[0]) if len(headers) == 1 else \
                "[" + ", ".join(_quote(h) for h in headers) + "]"
            test = f"header {match}{comparator} {names} {_quote(key)}"
    return (f"not {test}" if negate else test), needs, note


def _folder(action: str) -> str:
    target = action.strip()
    for prefix in ("$MAILDIR/", "${MAILDIR}/", "$HOME/Maildir/", "~/Maildir/"):
        if target.startswith(prefix):
            target = target[len(prefix):]
    if "$" in target or target.startswith(("/", "~")):
        raise _Unsupported(f"folder {action!r} (a path or variable Sieve cannot name)")
    target = target.rstrip("/")
    if target in ("", "."):
        return "INBOX"
    if target.startswith("."):
        target = target[1:].replace(".", "/")  # Maildir++ .A.B is folder A/B
    if not target or any(c in target for c in "*%\\") or target.startswith("/"):
        raise _Unsupported(f"folder {action!r}")
    return target


def _recipes(text: str) -> tuple[list[Recipe], list[str]]:
    problems: list[str] = []
    recipes: list[Recipe] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        number = i + 1
        stripped = raw.strip()
        i += 1
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.startswith(":0"):
            if "=" in stripped.split()[0] if stripped.split() else False:
                name = stripped.split("=", 1)[0].strip()
                if name == "INCLUDERC":
                    problems.append(f"line {number}: INCLUDERC is not converted "
                                    "(import that file on its own)")
                continue  # variable assignments (MAILDIR=, LOGFILE=...) need no Sieve
            problems.append(f"line {number}: not understood, left out: {stripped}")
            continue
        head = stripped[2:].split("#", 1)[0].strip()
        flags = head.split(":", 1)[0].strip()
        recipe = Recipe(number, flags + (":" if ":" in head else ""))
        while i < len(lines) and lines[i].strip().startswith(("*", "#")) or (
            i < len(lines) and not lines[i].strip()
        ):
            cond = lines[i].strip()
            if cond.startswith("*"):
                recipe.conditions.append((i + 1, cond[1:].strip()))
            i += 1
            if not cond:
                break
        if i < len(lines):
            recipe.action = lines[i].strip()
            recipe.action_line = i + 1
            i += 1
            if recipe.action.startswith("{"):
                depth = recipe.action.count("{") - recipe.action.count("}")
                while depth > 0 and i < len(lines):
                    depth += lines[i].count("{") - lines[i].count("}")
                    i += 1
        recipes.append(recipe)
    return recipes, problems


def convert(text: str) -> tuple[str, list[str]]:
    """Sieve for the recipes of a ``.procmailrc`` and what could not be converted.

    Each problem names its line. A recipe that cannot be converted as a
    whole is left out (a recipe without one of its conditions would file
    more mail than it did).
    """
    recipes, problems = _recipes(text)
    rules: list[str] = []
    needs: set[str] = set()
    for recipe in recipes:
        try:
            unknown = set(recipe.flags) - _KNOWN_FLAGS
            if unknown:
                raise _Unsupported(f"flag(s) {''.join(sorted(unknown))} "
                                   "(recipe chaining is not converted)")
            if not recipe.action:
                raise _Unsupported("a recipe without an action")
            action = recipe.action
            if action.startswith("|"):
                problems.append(f"line {recipe.action_line}: pipes to a program are refused "
                                f"(Sieve runs no programs), left out: {action}")
                continue
            if action.startswith("{"):
                raise _Unsupported("nested { } blocks")
            tests: list[str] = []
            notes: list[str] = []
            for line, cond in recipe.conditions:
                try:
                    test, more, note = _condition(cond, recipe.flags)
                except _Unsupported as exc:
                    raise _Unsupported(f"condition on line {line}: {exc}") from None
                tests.append(test)
                needs |= more
                if note:
                    notes.append(f"line {line}: {note}")
            copy = "c" in recipe.flags
            if action.startswith("!"):
                targets = action[1:].split()
                if not targets:
                    raise _Unsupported("a forward with no address")
                verb = "redirect :copy" if copy else "redirect"
                body = [f"{verb} {_quote(t)};" for t in targets]
            elif action == "/dev/null":
                if copy:
                    continue  # a copy thrown away: nothing to do
                body = ["discard;"]
            else:
                folder = _folder(action)
                needs.add("fileinto")
                body = [f"fileinto :copy {_quote(folder)};" if copy
                        else f"fileinto {_quote(folder)};"]
            if copy:
                needs.add("copy")
            else:
                body.append("stop;")
        except _Unsupported as exc:
            problems.append(f"line {recipe.line}: recipe left out: {exc}")
            continue
        comment = [f"# {n}" for n in notes]
        comment.insert(0, f"# procmail recipe at line {recipe.line}")
        if not tests:
            rules.append("\n".join([*comment, *body]))
            continue
        cond = tests[0] if len(tests) == 1 else "allof (" + ", ".join(tests) + ")"
        rules.append("\n".join([*comment, f"if {cond} {{", *(f"  {b}" for b in body), "}"]))
    order = ["fileinto", "copy", "body"]
    head = (f"require [{', '.join(_quote(n) for n in order if n in needs)}];\n"
            if needs else "")
    return head + "\n".join(rules) + ("\n" if rules else ""), problems


BEGIN_MARK = "# --- imported from procmail"
END_MARK = "# --- end of the procmail import ---"
REQUIRE_MARK = "  # procmail import"


def merge(existing: str, converted: str, source: str = ".procmailrc") -> str:
    """``existing`` (an account's active script) with the converted recipes after its own
    rules, so the user's rules come first; a second import replaces the first one's block."""
    lines = existing.splitlines()
    kept: list[str] = []
    inside = False
    for line in lines:
        if line.startswith(BEGIN_MARK):
            inside = True
        elif line.startswith(END_MARK):
            inside = False
        elif not inside and not line.endswith(REQUIRE_MARK):
            kept.append(line)
    body = converted.splitlines()
    requires = body.pop(0) if body and body[0].startswith("require ") else ""
    head = [requires + REQUIRE_MARK] if requires else []
    block = [f"{BEGIN_MARK} ({source}) ---", *body, END_MARK]
    while kept and not kept[-1].strip():
        kept.pop()
    # "require" must come before any other command: it goes first.
    return "\n".join([*head, *kept, "", *block]) + "\n"
