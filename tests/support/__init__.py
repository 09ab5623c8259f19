
# `python -m tests.support.dnsserver` / `.sink` from a bare interpreter: use .venv.
from appliance.bootstrap import use_project_venv

use_project_venv()
