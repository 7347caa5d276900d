#!/usr/bin/env bash
# Chromium for the companion web client's browser tests (tests/e2e/test_companion_browser.py).
#
#   tests/tools/chromium.sh install   install Debian's chromium if /usr/bin/chromium is missing
#                                     (idempotent; silent when already installed)
#   tests/tools/chromium.sh path      print the browser the tests drive
#
# Playwright drives this browser (`launch(executable_path=...)`): `playwright install`
# downloads its own builds from a CDN, which this project does not use. Without root or sudo
# the install is skipped with a note, and the browser tests skip themselves.
set -euo pipefail

BROWSER="${TT_CHROMIUM:-/usr/bin/chromium}"

install() {
    if [ -x "$BROWSER" ]; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
            echo "chromium.sh: $BROWSER is missing and installing it needs root;" \
                 "the browser tests will be skipped" >&2
            return 0
        fi
        sudo="sudo -n"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "chromium.sh: no apt-get here; install Chromium at $BROWSER (or set TT_CHROMIUM)" \
             "for the browser tests" >&2
        return 0
    fi
    echo "chromium.sh: installing chromium (apt-get)..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    [ -x "$BROWSER" ] || {
        echo "chromium.sh: chromium installed but $BROWSER not found" >&2
        exit 1
    }
}

case "${1:-}" in
    install) install ;;
    path) [ -x "$BROWSER" ] && echo "$BROWSER" || { echo "chromium.sh: no $BROWSER" >&2; exit 1; } ;;
    *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
