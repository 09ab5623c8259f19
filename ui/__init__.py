"""The Mailroom desktop program (PySide6): talks to the daemon through the control API."""

from appliance.bootstrap import use_project_venv

use_project_venv()
# Before any PySide6 call: see ui/_none_guard.py (a crash after ~30 min otherwise).
from ui._none_guard import guard_none  # noqa: E402

guard_none()
