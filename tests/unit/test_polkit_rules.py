"""The polkit rule the .deb installs, run by a JavaScript engine with a stand-in ``polkit``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "resources" / "polkit" / "50-mailroom.rules"
NODE = shutil.which("node") or shutil.which("nodejs")

HARNESS = """
const fs = require("fs");
const results = {SELF: "auth_self_keep", NO: "not_handled"};
let rule = null;
const polkit = {Result: {NOT_HANDLED: results.NO, AUTH_SELF_KEEP: results.SELF, YES: "yes",
                         AUTH_ADMIN_KEEP: "auth_admin_keep"},
                addRule: (f) => { rule = f; }};
eval(fs.readFileSync(process.argv[1], "utf8"));
const cases = JSON.parse(process.argv[2]);
const out = cases.map(([id, details, groups]) => {
  const action = {id: id, lookup: (k) => details[k]};
  const subject = {isInGroup: (g) => groups.includes(g)};
  const r = rule(action, subject);
  return r === undefined ? results.NO : r;
});
console.log(JSON.stringify(out));
"""

UNITS = "org.freedesktop.systemd1.manage-units"
EXEC = "org.freedesktop.policykit.exec"


@pytest.mark.skipif(NODE is None, reason="no JavaScript engine (node) installed")
def test_the_group_manages_the_unit_and_runs_init_as_the_service_user() -> None:
    member, outsider = ["users", "mailroom"], ["users"]
    cases = [
        (UNITS, {"unit": "mailroom.service", "verb": "start"}, member),
        (UNITS, {"unit": "mailroom.service", "verb": "stop"}, member),
        (UNITS, {"unit": "mailroom.service", "verb": "restart"}, member),
        (UNITS, {"unit": "mailroom.service", "verb": "start"}, outsider),
        (UNITS, {"unit": "mailroom.service", "verb": "mask"}, member),
        (UNITS, {"unit": "ssh.service", "verb": "stop"}, member),
        (EXEC, {"program": "/opt/mailroom/mailroom", "user": "mailroom"}, member),
        (EXEC, {"program": "/opt/mailroom/mailroom", "user": "root"}, member),
        (EXEC, {"program": "/bin/sh", "user": "mailroom"}, member),
        (EXEC, {"program": "/opt/mailroom/mailroom", "user": "mailroom"}, outsider),
    ]
    assert NODE is not None
    done = subprocess.run([NODE, "-e", HARNESS, str(RULES), json.dumps(cases)],
                          capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout) == [
        "auth_self_keep", "auth_self_keep", "auth_self_keep", "not_handled", "not_handled",
        "not_handled", "auth_self_keep", "not_handled", "not_handled", "not_handled"]
