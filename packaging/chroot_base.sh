#!/usr/bin/env bash
# A minimal Debian 12 (bookworm) to install the .deb into, made once and kept:
#   packaging/chroot_base.sh [DIR]     (as root; default /var/cache/mailroom-test-chroot/bookworm)
# The .deb's dependencies are installed ahead, so installing the package in
# a copy of it needs no network. The package itself never goes into DIR:
# tests install into an overlay (or copy) on top of it.
set -euo pipefail
dir=${1:-/var/cache/mailroom-test-chroot/bookworm}
here=$(cd "$(dirname "$0")" && pwd)
deps=$(sed -n 's/^Depends: //p' "$here/debian/control.in" | tr ',' '\n' \
       | sed -e 's/(.*)//' -e 's/ //g' | grep -v '^$' | tr '\n' ' ')
stamp="$dir/.mailroom-base-ready"
want="bookworm minbase: $deps"
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "$dir"; exit 0
fi
mkdir -p "$(dirname "$dir")"
exec 9>"$(dirname "$dir")/.lock"
flock 9
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then echo "$dir"; exit 0; fi
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [[ ! -x $dir/usr/bin/apt-get ]]; then
  rm -rf "$dir"
  debootstrap --variant=minbase bookworm "$dir" ${mirror:+"$mirror"} >/dev/null
fi
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
  cp /etc/apt/sources.list.d/*.sources "$dir/etc/apt/sources.list.d/" && rm -f "$dir/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
# The host may trust a local certificate authority for its package mirrors.
[[ -f /etc/ssl/certs/ca-certificates.crt ]] && mkdir -p "$dir/etc/ssl/certs" \
  && cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
# shellcheck disable=SC2086
chroot "$dir" /bin/sh -c "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
  apt-get install -y -qq --no-install-recommends $deps >/dev/null && apt-get clean"
echo "$want" > "$stamp"
echo "$dir"
