#!/usr/bin/env bash
# The X11 libraries Qt's window support loads on Linux. Installs the missing ones with apt-get
# (as root, or through sudo when it needs no password); elsewhere, or without a display,
# it does nothing. The terminal itself says what is missing when it cannot open a window.
set -u
[ "$(uname -s)" = "Linux" ] || exit 0
[ -n "${DISPLAY:-}" ] || exit 0
command -v ldconfig >/dev/null 2>&1 || exit 0
packages=""
for pair in xcb-cursor:libxcb-cursor0 xcb-icccm:libxcb-icccm4 xcb-image:libxcb-image0 \
            xcb-keysyms:libxcb-keysyms1 xcb-randr:libxcb-randr0 \
            xcb-render-util:libxcb-render-util0 xcb-shape:libxcb-shape0 xcb-xkb:libxcb-xkb1 \
            xkbcommon-x11:libxkbcommon-x11-0; do
    ldconfig -p 2>/dev/null | grep -q "lib${pair%%:*}\.so" || packages="$packages ${pair#*:}"
done
[ -n "$packages" ] || exit 0
command -v apt-get >/dev/null 2>&1 || { echo "note: the window needs:$packages" >&2; exit 0; }
if [ "$(id -u)" = "0" ]; then run=""; elif sudo -n true 2>/dev/null; then run="sudo -n"; else
    echo "note: the window needs these packages: sudo apt-get install$packages" >&2; exit 0; fi
echo "installing the X11 libraries Qt needs:$packages"
$run apt-get install -y -q $packages >/dev/null 2>&1 || \
    { $run apt-get update -q >/dev/null 2>&1 && $run apt-get install -y -q $packages >/dev/null; } || \
    echo "note: could not install$packages" >&2
exit 0
