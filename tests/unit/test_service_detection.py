"""Finding the system service: unit installed, systemd running, group membership, systemctl."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from appliance.home.service import (
    SERVICE_DATA_DIR,
    Deployment,
    Machine,
    Systemctl,
    deployment,
    probe,
)

ADMINS = 998
SERVICE = Machine(unit_installed=True, systemd_running=True, euid=1000,
                  groups=frozenset({1000, 24, ADMINS}), group="mailroom", group_gid=ADMINS,
                  listed=True)


def test_a_member_on_a_box_with_the_service_talks_to_it_through_systemd() -> None:
    assert deployment(SERVICE) == Deployment(True, SERVICE_DATA_DIR, systemd=True)
    assert deployment(SERVICE, "/var/lib/mailroom/").service  # the same directory, spelled out


def test_no_unit_installed_means_the_desktop_runs_its_own_daemon() -> None:
    own = deployment(replace(SERVICE, unit_installed=False))
    assert own == Deployment(False, None)
    assert not deployment(replace(SERVICE, unit_installed=False, euid=0)).service


def test_an_explicit_data_directory_is_the_users_own(tmp_path: Path) -> None:
    assert deployment(SERVICE, tmp_path) == Deployment(False, None)


def test_not_a_member_is_told_how_to_become_one() -> None:
    outsider = replace(SERVICE, groups=frozenset({1000}), listed=False)
    found = deployment(outsider)
    assert found.service and not found.member
    assert found.problem == ("you are not in the mailroom group: sudo adduser $USER mailroom, "
                             "then log in again")
    # Added with adduser, but this login still has the old groups.
    stale = deployment(replace(outsider, listed=True))
    assert "log out and in again" in stale.problem
    # No such group at all (a broken install): the same advice.
    assert "sudo adduser" in deployment(replace(outsider, group_gid=None)).problem
    # root needs no group.
    assert deployment(replace(outsider, euid=0)).member


def test_without_systemd_running_there_is_no_systemctl() -> None:
    found = deployment(replace(SERVICE, systemd_running=False))
    assert found.service and not found.systemd and found.member


def test_probe_reads_unit_paths_and_systemd(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    units, run = tmp_path / "units", tmp_path / "run-systemd"
    units.mkdir()
    monkeypatch.setenv("MAILROOM_GROUP", "no-such-group-here")
    machine = probe([units], run)
    assert not machine.unit_installed and not machine.systemd_running
    assert machine.group_gid is None and not machine.listed
    (units / "mailroom.service").write_text("[Unit]\n")
    run.mkdir()
    machine = probe([tmp_path / "elsewhere", units], run)
    assert machine.unit_installed and machine.systemd_running


class FakeSystemctl:
    def __init__(self, answers: dict[str, tuple[int, str]]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str]) -> tuple[int, str]:
        self.calls.append(argv)
        return self.answers.get(argv[1], (0, ""))


def test_systemctl_is_active_answers() -> None:
    for answer, expected in (((0, "active\n"), "active"), ((3, "inactive"), "inactive"),
                             ((3, "failed"), "failed"), ((4, ""), "unknown")):
        runner = FakeSystemctl({"is-active": answer})
        assert Systemctl(runner).is_active() == expected
        assert runner.calls == [["systemctl", "is-active", "mailroom.service"]]


def test_systemctl_verbs_and_refusals() -> None:
    runner = FakeSystemctl({"stop": (1, "Failed to stop mailroom.service: Access denied"),
                            "restart": (5, "Job for mailroom.service failed.")})
    ctl = Systemctl(runner)
    assert ctl.run("start") == ""
    with pytest.raises(RuntimeError, match="not allowed to stop mailroom.service"):
        ctl.run("stop")
    with pytest.raises(RuntimeError, match="systemctl restart mailroom.service failed: Job"):
        ctl.run("restart")
    with pytest.raises(ValueError):
        ctl.command("mask")
    assert [c[1] for c in runner.calls] == ["start", "stop", "restart"]
