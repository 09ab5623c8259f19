"""Tests for the sendmail /etc/aliases parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.aliases.parse import AliasEntry, AliasTarget, ParseResult, parse_aliases

DATA = Path(__file__).resolve().parents[1] / "data" / "sendmail"
# The originals the copies in tests/data came from; absent outside the workspace.
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "sendmail"
SAMPLE_FILES = (
    "aliases",
    "committee.list",
    "access",
    "virtusertable",
    "forward",
    "procmailrc",
    "local-host-names",
    "README.md",
)


def addr(value: str) -> AliasTarget:
    return AliasTarget("address", value)


def err(value: str) -> AliasTarget:
    return AliasTarget("error", value)


def by_name(result: ParseResult) -> dict[str, AliasEntry]:
    return {entry.name: entry for entry in result.entries}


def targets(result: ParseResult, name: str) -> tuple[AliasTarget, ...]:
    return by_name(result)[name].targets


def read_sample_include(path: str) -> str:
    # The sample names /etc/mail/committee.list; the copy sits beside it.
    return (DATA / Path(path).name).read_text(encoding="utf-8")


# --- the realistic sample -------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> ParseResult:
    text = (DATA / "aliases").read_text(encoding="utf-8")
    return parse_aliases(text, source="aliases", read_include=read_sample_include)


def test_sample_data_copies_match_shared_originals() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"shared samples not present at {SHARED}")
    for name in SAMPLE_FILES:
        assert (DATA / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_sample_entry_names_in_file_order(sample: ParseResult) -> None:
    assert [entry.name for entry in sample.entries] == [
        "mailer-daemon",
        "postmaster",
        "bin",
        "daemon",
        "adm",
        "nobody",
        "abuse",
        "hostmaster",
        "webmaster",
        "noc",
        "security",
        "student",
        "teachers",
        "staff",
        "committee",
        "alumni",
        "gone",
        "root",
    ]


def test_sample_system_aliases_chain_to_admin(sample: ParseResult) -> None:
    entries = by_name(sample)
    assert entries["mailer-daemon"].targets == (addr("postmaster"),)
    assert entries["postmaster"].targets == (addr("root"),)
    assert entries["root"].targets == (addr("admin"),)
    assert entries["root"].line == 38
    for name in ("bin", "daemon", "adm", "nobody", "abuse", "hostmaster", "webmaster",
                 "noc", "security"):
        assert entries[name].targets == (addr("root"),), name


def test_sample_groups(sample: ParseResult) -> None:
    entries = by_name(sample)
    assert entries["student"].targets == tuple(addr(f"std0{i}") for i in range(1, 5))
    assert entries["student"].line == 20
    assert entries["teachers"].targets == (addr("chen.pk"), addr("lin"))
    assert entries["staff"].targets == (
        addr("teachers"),
        addr("student"),
        addr("office@example.test"),
    )
    assert entries["staff"].line == 22


def test_sample_include_expands_committee(sample: ParseResult) -> None:
    assert targets(sample, "committee") == (
        addr("std01"),
        addr("lin"),
        addr("external.member@outside.test"),
    )


def test_sample_outside_address_and_error(sample: ParseResult) -> None:
    assert targets(sample, "alumni") == (addr("alumni-list@lists.outside.test"),)
    assert targets(sample, "gone") == (err("550 5.1.1 This user has left"),)


def test_sample_pipe_and_file_targets_skipped_with_line_warnings(sample: ParseResult) -> None:
    names = by_name(sample)
    assert "archive" not in names
    assert "oldbox" not in names
    assert sample.warnings == [
        'aliases:30: skipped pipe target "|/usr/local/bin/archive-mail"',
        'aliases:30: alias "archive" has no usable targets; omitted',
        'aliases:31: skipped file target "/var/mail/oldbox.mbox"',
        'aliases:31: alias "oldbox" has no usable targets; omitted',
    ]


def test_sample_without_include_reader_warns_and_omits_committee() -> None:
    result = parse_aliases((DATA / "aliases").read_text(encoding="utf-8"))
    assert "committee" not in by_name(result)
    assert any(w.startswith("aliases:27: skipped include") for w in result.warnings)
    assert 'aliases:27: alias "committee" has no usable targets; omitted' in result.warnings


# --- lines, comments, continuation ----------------------------------------


def test_comments_and_blank_lines_are_ignored() -> None:
    result = parse_aliases("# a comment\n\n   \nfoo: bar\n# another\n")
    assert result.entries == [AliasEntry("foo", (addr("bar"),), 4)]
    assert result.warnings == []


def test_hash_after_targets_is_not_a_comment() -> None:
    # sendmail only knows whole-line comments.
    result = parse_aliases("foo: bar, baz # old\n")
    assert targets(result, "foo") == (addr("bar"),)
    assert result.warnings == ['aliases:1: skipped invalid target "baz # old"']


def test_continuation_lines_with_spaces_and_tabs() -> None:
    text = "staff: a,\n\tb,\n    c@Example.TEST\nnext: d\n"
    result = parse_aliases(text)
    assert targets(result, "staff") == (addr("a"), addr("b"), addr("c@example.test"))
    assert by_name(result)["staff"].line == 1
    assert by_name(result)["next"].line == 4
    assert result.warnings == []


def test_line_break_separates_targets_without_comma() -> None:
    result = parse_aliases("staff: a\n  b\n")
    assert targets(result, "staff") == (addr("a"), addr("b"))


def test_indented_comment_inside_entry_is_ignored() -> None:
    result = parse_aliases("staff: a,\n  # b left\n  c\n")
    assert targets(result, "staff") == (addr("a"), addr("c"))
    assert result.warnings == []


def test_blank_or_comment_line_ends_entry() -> None:
    result = parse_aliases("staff: a,\n\n  b\nother: c,\n# note\n  d\n")
    assert targets(result, "staff") == (addr("a"),)
    assert targets(result, "other") == (addr("c"),)
    assert result.warnings == [
        "aliases:3: indented line does not continue an entry; skipped",
        "aliases:6: indented line does not continue an entry; skipped",
    ]


def test_indented_first_line_warns() -> None:
    result = parse_aliases("  foo: bar\nbaz: qux\n", source="/etc/aliases")
    assert result.entries == [AliasEntry("baz", (addr("qux"),), 2)]
    assert result.warnings == ["/etc/aliases:1: indented line does not continue an entry; skipped"]


def test_crlf_line_endings() -> None:
    result = parse_aliases("foo: a,\r\n\tb\r\n")
    assert targets(result, "foo") == (addr("a"), addr("b"))


# --- names ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("no colon here", "no colon"),
        (": bar", "empty name"),
        ("two words: bar", "name with space"),
        ("tab\tname: bar", "name with tab"),
        ('"": bar', "empty quoted name"),
    ],
)
def test_malformed_lines_warn_and_are_skipped(line: str, why: str) -> None:
    result = parse_aliases(f"ok: x\n{line}\n  cont\nlast: y\n")
    assert [e.name for e in result.entries] == ["ok", "last"], why
    # The malformed line's own continuation is skipped with it, not reported again.
    assert len(result.warnings) == 1, why
    assert result.warnings[0].startswith('aliases:2: not a "name: targets" entry'), why


def test_name_is_lowercased_and_unquoted() -> None:
    result = parse_aliases('Student: a\n"Teachers": b\nInfo@Example.TEST: c\n')
    assert [e.name for e in result.entries] == ["student", "teachers", "info@example.test"]


def test_space_before_colon_is_allowed() -> None:
    result = parse_aliases("foo : bar\n")
    assert result.entries == [AliasEntry("foo", (addr("bar"),), 1)]


def test_duplicate_name_later_wins_with_warning() -> None:
    result = parse_aliases("root: alice\nother: x\nROOT: bob\n")
    assert result.entries == [
        AliasEntry("other", (addr("x"),), 2),
        AliasEntry("root", (addr("bob"),), 3),
    ]
    assert result.warnings == [
        'aliases:3: alias "root" defined again (first at line 1); the later definition wins'
    ]


def test_duplicate_name_later_wins_even_when_left_empty() -> None:
    result = parse_aliases('root: alice\nroot: "|/bin/true"\n')
    assert result.entries == []
    assert result.warnings == [
        'aliases:2: skipped pipe target "|/bin/true"',
        'aliases:2: alias "root" defined again (first at line 1); the later definition wins',
        'aliases:2: alias "root" has no usable targets; omitted',
    ]


# --- targets --------------------------------------------------------------


def test_quoted_targets_are_unquoted() -> None:
    result = parse_aliases('t: "chen.pk", "Lin"@Example.Test, "a\\"b"@x.test\n')
    assert targets(result, "t") == (addr("chen.pk"), addr("lin@example.test"))
    # An escaped quote unquotes to a '"', which no deliverable address has.
    assert result.warnings == ['aliases:1: skipped invalid target ""a\\"b"@x.test"']


def test_addresses_are_lowercased() -> None:
    result = parse_aliases("t: Std01, Office@Example.TEST\n")
    assert targets(result, "t") == (addr("std01"), addr("office@example.test"))


def test_comma_inside_quotes_does_not_split() -> None:
    result = parse_aliases('gone: ":error:550 5.1.1 Gone, try office@example.test"\n')
    assert targets(result, "gone") == (err("550 5.1.1 Gone, try office@example.test"),)


def test_empty_items_and_trailing_comma_are_ignored() -> None:
    result = parse_aliases("t: a,, b,\n")
    assert targets(result, "t") == (addr("a"), addr("b"))
    assert result.warnings == []


def test_rfc822_comment_and_route_addr() -> None:
    result = parse_aliases("t: admin (Head, IT), Chen PK <Chen.PK@Example.test>\n")
    assert targets(result, "t") == (addr("admin"), addr("chen.pk@example.test"))
    assert result.warnings == []


def test_backslash_local_delivery_marker_is_dropped() -> None:
    result = parse_aliases("lin: \\lin, lin@outside.test\n")
    assert targets(result, "lin") == (addr("lin"), addr("lin@outside.test"))


def test_duplicate_targets_collapse() -> None:
    result = parse_aliases("t: a, b, A\n")
    assert targets(result, "t") == (addr("a"), addr("b"))


@pytest.mark.parametrize(
    ("rhs", "warning"),
    [
        ("|/usr/bin/vacation lin", 'skipped pipe target "|/usr/bin/vacation lin"'),
        ('"|/usr/bin/vacation lin"', 'skipped pipe target "|/usr/bin/vacation lin"'),
        ("/var/mail/box", 'skipped file target "/var/mail/box"'),
        ('"/var/mail/my box"', 'skipped file target "/var/mail/my box"'),
    ],
)
def test_pipe_and_file_targets_skipped(rhs: str, warning: str) -> None:
    result = parse_aliases(f"t: keep,\n  {rhs}\n")
    assert targets(result, "t") == (addr("keep"),)
    assert result.warnings == [f"aliases:2: {warning}"]


@pytest.mark.parametrize(
    ("rhs", "text"),
    [
        ('":error:550 5.1.1 This user has left"', "550 5.1.1 This user has left"),
        (":error:550 Gone", "550 Gone"),
        ('":ERROR:  451 4.3.0 Try later "', "451 4.3.0 Try later"),
    ],
)
def test_error_targets(rhs: str, text: str) -> None:
    result = parse_aliases(f"gone: {rhs}\n")
    assert targets(result, "gone") == (err(text),)
    assert result.warnings == []


def test_error_without_text_warns() -> None:
    result = parse_aliases('gone: ":error:"\n')
    assert result.entries == []
    assert result.warnings[0] == "aliases:1: skipped :error: target with no text"


def test_unbalanced_quote_skips_that_line_only() -> None:
    result = parse_aliases('t: a,\n  "b, c\n  d\n')
    assert targets(result, "t") == (addr("a"), addr("d"))
    assert result.warnings == ["aliases:2: unbalanced '\"'; targets on this line skipped"]


def test_entry_with_no_targets_is_omitted() -> None:
    result = parse_aliases("empty:\nfull: x\n")
    assert [e.name for e in result.entries] == ["full"]
    assert result.warnings == ['aliases:1: alias "empty" has no usable targets; omitted']


# --- :include: ------------------------------------------------------------


def test_include_splices_targets_in_place() -> None:
    files = {"/etc/mail/list": "# members\nStd01\n\nlin, chen.pk\n  x@Outside.TEST\n"}
    result = parse_aliases(
        "g: first, :include:/etc/mail/list, last\n", read_include=files.__getitem__
    )
    assert targets(result, "g") == (
        addr("first"),
        addr("std01"),
        addr("lin"),
        addr("chen.pk"),
        addr("x@outside.test"),
        addr("last"),
    )
    assert result.warnings == []


def test_quoted_include() -> None:
    result = parse_aliases('g: ":include:/l"\n', read_include=lambda path: "a\n")
    assert targets(result, "g") == (addr("a"),)


def test_include_without_reader_warns() -> None:
    result = parse_aliases("g: a, :include:/etc/mail/list\n")
    assert targets(result, "g") == (addr("a"),)
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith('aliases:1: skipped include "/etc/mail/list"')


def test_include_read_error_warns() -> None:
    def missing(path: str) -> str:
        raise FileNotFoundError(2, "No such file or directory", path)

    result = parse_aliases("x: y\ng: a,\n  :include:/nope\n", read_include=missing)
    assert targets(result, "g") == (addr("a"),)
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith('aliases:3: skipped include "/nope": cannot read it')


def test_include_with_pipe_warns_with_both_locations() -> None:
    files = {"/l": "ok\n|/bin/sh\n"}
    result = parse_aliases("g: :include:/l\n", read_include=files.__getitem__)
    assert targets(result, "g") == (addr("ok"),)
    assert result.warnings == ['/l:2 (included from aliases:1): skipped pipe target "|/bin/sh"']


def test_nested_and_self_including_files() -> None:
    files = {"/a": "one\n:include:/b\n", "/b": "two\n:include:/a\n"}
    result = parse_aliases("g: :include:/a\n", read_include=files.__getitem__)
    assert targets(result, "g") == (addr("one"), addr("two"))
    assert len(result.warnings) == 1
    assert 'skipped include "/a": it includes itself' in result.warnings[0]


# --- robustness -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", ":", '"', "a:\"", "(", "a: (", "a: )", "a: <>", "\t\t", "\x00: \x00",
     "a: <b", "a: b>", ":include:", "a: :include:", "\\", "a: \\"],
)
def test_never_raises_on_garbage(text: str) -> None:
    result = parse_aliases(text, read_include=lambda path: "")
    assert isinstance(result, ParseResult)
    for entry in result.entries:
        assert entry.targets


def test_control_characters_are_not_names_or_addresses() -> None:
    result = parse_aliases("a\x00: b\nc: d\x07\n")
    assert result.entries == []
    assert result.warnings[0].startswith('aliases:1: not a "name: targets" entry')
    assert result.warnings[1] == 'aliases:2: skipped invalid target "d\x07"'


def test_package_exports_public_surface() -> None:
    import appliance.aliases as package

    assert package.parse_aliases is parse_aliases
    assert {"AliasEntry", "AliasTarget", "ParseResult", "parse_aliases"} <= set(package.__all__)
