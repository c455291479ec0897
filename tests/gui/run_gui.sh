#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one GUI test under its own X server (Xvfb) and session bus with the
# AT-SPI accessibility bus on it; exit 77 (meson: skipped) with a reason
# when one of them is not installed.
skip() { echo "SKIP: $*" >&2; exit 77; }
command -v xvfb-run >/dev/null || skip "no xvfb-run (apt install xvfb)"
command -v dbus-run-session >/dev/null || skip "no dbus-run-session (apt install dbus)"
launcher=
for f in /usr/libexec/at-spi-bus-launcher /usr/lib/at-spi2-core/at-spi-bus-launcher; do
	[ -x "$f" ] && launcher=$f && break
done
[ -n "$launcher" ] || skip "no at-spi-bus-launcher (apt install at-spi2-core)"
# Debian's python3: the dogtail and pyatspi packages live there (a pyenv
# python3 first on PATH would not see them).
py=/usr/bin/python3
"$py" -c 'import dogtail, pyatspi' 2>/dev/null || skip "no dogtail for $py (apt install python3-dogtail python3-pyatspi)"
[ -x "${MTKFLASH_GTK:-}" ] || skip "mtkflash-gtk was not built (no GTK 4)"
export GTK_A11Y=atspi NO_AT_BRIDGE=0
# Xvfb has no GPU: GTK's default GL renderer ran on Mesa's llvmpipe and
# redrew at more than one core's worth of CPU time (57 s of a 50 s test);
# cairo draws the same window for a tenth of it.
export GSK_RENDERER=cairo
exec xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" dbus-run-session -- \
	sh -c '"$1" --launch-immediately & launcher=$!; "$2" "$3"; rc=$?; kill $launcher 2>/dev/null; exit $rc' \
	sh "$launcher" "$py" "$1"
