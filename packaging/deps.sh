#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Mailroom needs: "run" for the program,
# "package" adds the .deb tools, "test" adds those and the third-party mail
# clients the test suite drives.
set -euo pipefail
what=${1:-run}
# Qt's xcb/offscreen platform plugins need these at run time.
pkgs=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
      libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libglib2.0-0)
# The GUI speaks Simplified Chinese too: without a CJK font its text is boxes.
pkgs+=(fonts-wqy-microhei)
if [[ $what == package || $what == test ]]; then
  # make package: dpkg-deb builds the .deb, lintian checks it, debootstrap
  # makes the scratch Debian the install test puts it in.
  pkgs+=(dpkg-dev fakeroot lintian debootstrap)
  # PyInstaller bundles libpython3.X.so, which Debian's python3 keeps in a
  # package of its own (a pyenv build brings its own and ignores this one).
  py=python3; [[ -x .venv/bin/python ]] && py=.venv/bin/python
  pkgs+=("libpython$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')")
fi
if [[ $what == test ]]; then
  # swaks speaks TLS only with Net::SSLeay and IO::Socket::SSL, which an
  # install without recommends leaves out.
  pkgs+=(swaks libnet-ssleay-perl libio-socket-ssl-perl curl fetchmail isync getmail6 openssl)
  # pebble: a real ACME server on loopback for the certificate tests.
  pkgs+=(pebble)
  # Spam and virus tests start a private rspamd and a private clamd (its own tiny
  # signature database; never freshclam, never the system's daemons).
  pkgs+=(rspamd clamav-daemon)
  # The unit is checked with systemd-analyze, the polkit rule run with a
  # JavaScript engine: take Debian's only where the machine has none of its own.
  command -v systemd-analyze >/dev/null || pkgs+=(systemd)
  command -v node >/dev/null || pkgs+=(nodejs)
  # The firewall tests run the real nft inside a network namespace of their own.
  pkgs+=(nftables iproute2)
  # Backups are restorable by hand: a test unpacks one with zstd and tar.
  pkgs+=(zstd)
  # Webmail: Roundcube with the web stack Mailroom runs itself (php-fpm first, or apt
  # takes Apache's PHP module for Roundcube's "php"), and the browser of its end-to-end test.
  pkgs+=(php-fpm nginx-light roundcube-core roundcube-sqlite3 roundcube-plugins chromium)
  # Playwright's own node (the driver that speaks to chromium) links libatomic,
  # which a minimal Debian lacks.
  pkgs+=(libatomic1)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
# Packages such as nginx, php-fpm, rspamd and clamav start their daemons when
# installed; on a machine without systemd (a container, a chroot) nothing would
# switch them off again, and nginx would hold port 80. A policy-rc.d that says
# "no" for the length of the install keeps every service down; an admin's own
# policy-rc.d is left alone.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [[ ! -e $policy ]]; then
  own_policy=$policy
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$own_policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The install enables Debian's own rspamd, clamd and freshclam (a 200 MB signature
# download) for the next boot; the tests run private ones, so those are switched off.
if [[ " ${missing[*]} " == *" clamav-daemon "* ]] && [[ -d /run/systemd/system ]]; then
  $sudo systemctl disable --now clamav-freshclam clamav-daemon rspamd >/dev/null 2>&1 || true
fi
# Likewise Debian's nginx (its default site takes port 80) and php-fpm: Mailroom runs its own.
if [[ " ${missing[*]} " == *" nginx-light "* ]] && [[ -d /run/systemd/system ]]; then
  $sudo systemctl disable --now nginx 'php*-fpm' >/dev/null 2>&1 || true
fi
