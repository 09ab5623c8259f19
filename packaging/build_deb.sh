#!/usr/bin/env bash
# Builds dist/mailroom_<version>_amd64.deb from the one-folder build in
# dist/mailroom (make package runs PyInstaller first), with dpkg-deb only.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(.venv/bin/python -c 'from appliance.version import __version__; print(__version__)')
[[ -x dist/mailroom/mailroom ]] || { echo "dist/mailroom/mailroom missing: run make package" >&2; exit 1; }

root=build/deb/root
rm -rf build/deb
mkdir -p "$root/DEBIAN"

# The program, and the names it answers to.
install -d "$root/opt" "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib"
cp -a dist/mailroom "$root/opt/mailroom"
# Libraries are loaded, never run; version-control leftovers of bundled packages go.
find "$root/opt/mailroom/_internal" -type f -name '*.so*' -exec chmod 0644 {} +
find "$root/opt/mailroom" -name '.git*' -exec rm -rf {} +
# Absolute: Debian policy wants links between top-level directories so.
ln -s /opt/mailroom/mailroom "$root/usr/bin/mailroom"
for name in mailq newaliases mailstats; do
  ln -s /opt/mailroom/mailroom "$root/usr/bin/$name"
done
ln -s /opt/mailroom/mailroom "$root/usr/sbin/sendmail"
ln -s ../sbin/sendmail "$root/usr/lib/sendmail"  # where old scripts look for it

# systemd, the desktop, the tray.
install -D -m 0644 resources/systemd/mailroom.service "$root/lib/systemd/system/mailroom.service"
install -D -m 0644 resources/systemd/mailroom.path "$root/lib/systemd/system/mailroom.path"
# The mailroom group may start/stop/restart the unit and run the first init (polkit).
if [[ -f resources/polkit/50-mailroom.rules ]]; then
  install -D -m 0644 resources/polkit/50-mailroom.rules \
    "$root/usr/share/polkit-1/rules.d/50-mailroom.rules"
fi
install -D -m 0644 resources/desktop/mailroom.desktop "$root/usr/share/applications/mailroom.desktop"
install -D -m 0644 resources/desktop/mailroom-tray.desktop "$root/etc/xdg/autostart/mailroom-tray.desktop"
(cd resources/icons && find hicolor -type f) | while read -r icon; do
  install -D -m 0644 "resources/icons/$icon" "$root/usr/share/icons/$icon"
done

# Documentation Debian policy asks for.
doc="$root/usr/share/doc/mailroom"
install -d "$doc"
install -m 0644 README.md "$doc/README.md"
install -m 0644 packaging/debian/copyright "$doc/copyright"
{
  echo "mailroom ($version) unstable; urgency=medium"
  echo
  echo "  * Release $version."
  echo
  echo " -- Mailroom maintainers <mailroom@example.org>  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.gz"
install -D -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/mailroom"

# Control files.
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" packaging/debian/control.in > "$root/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
  | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

# Everything root-owned and not group/other-writable, whoever builds.
chmod -R u+rwX,go+rX,go-w "$root"
# gzip, not xz: xz takes minutes on the 200 MB tree, gzip seconds, for a .deb
# about a third larger.
out="dist/mailroom_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zgzip -z3 --build "$root" "$out" >/dev/null
echo "$out"
