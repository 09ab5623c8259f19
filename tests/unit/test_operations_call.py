"""Operations.call: wrong arguments are the caller's error, a TypeError inside is a bug."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.control import operations
from appliance.control.operations import Operations
from appliance.home import Home
from appliance.state import State, StateError


@pytest.fixture
def ops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Operations]:
    def broken(self: Operations, key: str) -> Any:
        return len(key) + None  # type: ignore[operator]  # a bug inside the operation

    monkeypatch.setitem(operations.OPERATIONS, "test.broken", broken)
    home = Home(tmp_path)
    home.create()
    state = State(home.db)
    try:
        yield Operations(home, state)
    finally:
        state.close()


def test_bad_arguments_are_a_state_error(ops: Operations) -> None:
    with pytest.raises(StateError, match="bad arguments for test.broken"):
        asyncio.run(ops.call("test.broken", {"nope": 1}))
    with pytest.raises(StateError, match="bad arguments for test.broken"):
        asyncio.run(ops.call("test.broken", {}))


def test_a_type_error_inside_the_operation_is_not_hidden(ops: Operations) -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        asyncio.run(ops.call("test.broken", {"key": "x"}))
