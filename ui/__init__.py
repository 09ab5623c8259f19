"""The Mailroom desktop program (PySide6): talks to the daemon through the control API."""

from appliance.bootstrap import use_project_venv

use_project_venv()
