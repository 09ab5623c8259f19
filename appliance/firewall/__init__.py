"""Firewall ports: which firewall the box uses, whether it lets each service in, open/close.

``detect`` (which firewall), ``ports`` (the enabled listeners' ports),
``nft`` (Mailroom's own ``table inet mailroom`` as JSON, and judging a
ruleset), ``commands`` (the exact commands per firewall) are pure;
``system`` runs the tools; ``feed`` follows the auto-ban into the table.
"""

from __future__ import annotations

from appliance.firewall.commands import Step, show
from appliance.firewall.detect import Backend, Probe, choose
from appliance.firewall.ports import ServicePort, select, service_ports
from appliance.firewall.system import Firewall, FirewallError

__all__ = ["Backend", "Firewall", "FirewallError", "Probe", "ServicePort", "Step", "choose",
           "select", "service_ports", "show"]
