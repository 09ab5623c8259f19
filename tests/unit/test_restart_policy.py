"""The GUI's restart policy for a daemon it started: back-off, reset, clean exits."""

from __future__ import annotations

import os
import signal

from ui.restart_policy import RestartPolicy, describe_exit, is_failure


def test_crashes_back_off_doubling_up_to_the_cap() -> None:
    policy = RestartPolicy(first=1, cap=60, stable=60)
    delays = []
    now = 1000.0
    for _ in range(9):
        policy.started(now)
        now += 0.5  # dies at once, every time
        delays.append(policy.died(-signal.SIGKILL, now))
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_stable_minute_starts_the_series_again() -> None:
    policy = RestartPolicy(first=1, cap=60, stable=60)
    policy.started(0)
    assert policy.died(1, 1) == 1
    policy.started(2)
    assert policy.died(1, 3) == 2
    policy.started(4)
    assert policy.died(1, 4 + 59.9) == 4  # not quite a minute
    policy.started(100)
    assert policy.died(-signal.SIGSEGV, 160) == 1  # a whole minute up


def test_clean_exits_are_not_restarted_and_reset_the_series() -> None:
    policy = RestartPolicy()
    policy.started(0)
    assert policy.died(1, 1) == 1
    for code in (0, -signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP, -signal.SIGPIPE):
        policy.started(2)
        assert policy.died(code, 3) is None, code
    policy.started(4)
    assert policy.died(2, 5) == 1


def test_stopped_by_hand_resets() -> None:
    policy = RestartPolicy()
    for _ in range(3):
        policy.started(0)
        policy.died(1, 0)
    policy.stopped()
    policy.started(1)
    assert policy.died(1, 1) == 1


def test_failure_and_description() -> None:
    assert is_failure(1) and is_failure(-signal.SIGKILL) and is_failure(-signal.SIGABRT)
    assert not is_failure(0) and not is_failure(-signal.SIGTERM)
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "killed by signal 9 (SIGKILL)"
    assert describe_exit(-200) == "killed by signal 200 (signal 200)"


def test_crash_lines_for_the_mail_log() -> None:
    from ui.supervisor import crash_lines

    lines = crash_lines(-signal.SIGKILL, "starting\nTraceback: boom\n", 4321, "mail.example.test",
                        2.0, now=0)
    assert lines[0].endswith(f"mail.example.test mailroom/gui[{os.getpid()}]: error: the daemon "
                             "(pid 4321) killed by signal 9 (SIGKILL); starting it again in 2 s")
    assert [line.split("]: ", 1)[1] for line in lines[1:]] == [
        "daemon output: starting", "daemon output: Traceback: boom"]
    clean = crash_lines(0, "", 4321, "mail.example.test", None, now=0)
    assert len(clean) == 1 and "error" not in clean[0]
    assert clean[0].endswith("the daemon (pid 4321) exited with code 0; not restarting it")


def test_gives_up_after_the_limit_until_started_by_hand() -> None:
    policy = RestartPolicy(first=1, cap=60, stable=60, limit=3)
    delays = []
    for t in range(4):
        policy.started(t)
        delays.append(policy.died(1, t + 0.5))
    assert delays == [1, 2, 4, None] and policy.gave_up
    policy.stopped()  # the admin starts it again
    policy.started(10)
    assert policy.died(1, 10.5) == 1 and not policy.gave_up
