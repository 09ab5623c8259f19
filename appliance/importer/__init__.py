"""Importing another mail server's setup: a pure plan of changes and problems, then apply.

``sendmail`` turns the files of a sendmail box into a :class:`Plan`;
``files`` reads them from disk. Applying is a list of control operations
(``appliance.control.import_operations``).
"""

from __future__ import annotations

from appliance.importer.files import read_setup
from appliance.importer.sendmail import (
    Change,
    Plan,
    Problem,
    SendmailFiles,
    Snapshot,
    plan_import,
)

__all__ = ["Change", "Plan", "Problem", "SendmailFiles", "Snapshot", "plan_import",
           "read_setup"]
