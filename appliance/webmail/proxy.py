"""Failed web logins are counted against the browser's address, not 127.0.0.1.

Roundcube logs in to our IMAP server from loopback, which is in the relay
networks and never banned: counted as they come, a password guesser on the
web would never be banned. Roundcube sends IMAP ID only after a login, so
it cannot carry the address in time. Instead Mailroom's small Roundcube
plugin (``mailroom_proxy``, below) uses SASL PLAIN's authorization
identity, the field made for "a trusted proxy logs in on behalf of":

    authzid = "mailroom-proxy:" TOKEN ":" BROWSER-ADDRESS
    authcid = the user, passwd = their password

The IMAP server takes the address from it only from loopback and only
with the secret token (``webmail.proxy_token`` in the secrets store, which
Roundcube's configuration carries); the login is then checked, counted and
refused for a banned address exactly as if the browser had connected
itself. Anything else in the authorization identity is refused as before.
"""

from __future__ import annotations

import hmac
import ipaddress

from appliance.imap.listener import is_loopback

__all__ = ["PLUGIN_PHP", "PREFIX", "TOKEN_SECRET", "proxied_client"]

PREFIX = "mailroom-proxy:"
TOKEN_SECRET = "webmail.proxy_token"


def proxied_client(authzid: str, peer_ip: str, token: str | None) -> str | None:
    """The browser's address named in ``authzid``, if a trusted proxy sent it; else None."""
    if not token or not authzid.startswith(PREFIX) or not is_loopback(peer_ip):
        return None
    given, _, address = authzid[len(PREFIX):].partition(":")
    if not hmac.compare_digest(given.encode(), token.encode()):
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


PLUGIN_PHP = r"""<?php
/**
 * Written by Mailroom. Logs in to Mailroom's IMAP server as a trusted proxy
 * (SASL PLAIN authorization identity "mailroom-proxy:TOKEN:ADDRESS"), so a
 * failed web login counts toward the auto-ban of the browser's address.
 */
class mailroom_proxy extends rcube_plugin
{
    private $pass = null;

    function init()
    {
        $this->add_hook('authenticate', [$this, 'authenticate']);
        $this->add_hook('storage_connect', [$this, 'storage_connect']);
    }

    function authenticate($args)
    {
        $this->pass = $args['pass'];
        return $args;
    }

    function storage_connect($args)
    {
        $rcmail = rcmail::get_instance();
        $token = $rcmail->config->get('mailroom_proxy_token');
        $pass = $this->pass !== null ? $this->pass : $rcmail->get_user_password();
        if (!$token || $pass === null || $pass === '') {
            return $args;
        }
        $args['auth_type'] = 'PLAIN';
        $args['auth_cid'] = $args['user'];
        $args['auth_pw'] = $pass;
        $args['user'] = 'mailroom-proxy:' . $token . ':' . rcube_utils::remote_addr();
        return $args;
    }
}
"""
