"""What the desktop program needs besides the control client: where its daemon is.

The GUI (``ui/``) imports from the appliance only the control client
(``appliance.control.client``), the plain types (``appliance.control.types``)
and this module: the data directory (``Home``: paths, no state), and how the
daemon is deployed on this machine (the installed system service managed with
``systemctl``/``pkexec``, or a daemon the GUI runs itself). Everything the
GUI reads or changes goes through the control operations.
"""

from __future__ import annotations

from appliance.home import Home, resolve_home
from appliance.home.service import (
    Deployment,
    Machine,
    Runner,
    ServiceInit,
    Systemctl,
    deployment,
    probe,
    run_command,
)

__all__ = ["Deployment", "Home", "Machine", "Runner", "ServiceInit", "Systemctl", "deployment",
           "probe", "resolve_home", "run_command"]
