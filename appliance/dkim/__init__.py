"""DKIM signing of outbound mail: per-domain keys (RSA-2048 and Ed25519), rotation, signing.

``keys`` holds the rules (selectors, rotation), ``store`` keeps each
domain's keys in the secrets store, ``sign`` signs a message at the queue's
exit. The public halves are published through ``appliance.dns.records``.
"""

from appliance.dkim.keys import ALGORITHMS, RETIRED_KEEP, DkimKey, KeyRing, selector_for, txt_value
from appliance.dkim.sign import SIGNED_HEADERS, Signer, from_domain, sign_message
from appliance.dkim.store import DkimStore

__all__ = [
    "ALGORITHMS", "DkimKey", "DkimStore", "KeyRing", "RETIRED_KEEP", "SIGNED_HEADERS",
    "Signer", "from_domain", "selector_for", "sign_message", "txt_value",
]
