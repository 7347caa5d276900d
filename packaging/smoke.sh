#!/usr/bin/env bash
# Smoke test of the built bundle (after `make package`): its self-test on the real recording
# in ../shared/data (or SHARED_DATA), then the desktop window drawn off screen for 5 seconds
# on a throwaway data dir, replaying the same capture when it is there. Prints each check's time; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
EXE=dist/trading-terminal/trading-terminal
DATA=${SHARED_DATA:-../shared/data}
[ -x "$EXE" ] || { echo "smoke: $EXE is missing; run make package" >&2; exit 1; }
echo "smoke: bundle $(du -sm dist/trading-terminal | cut -f1) MB"
data_args=()
if [ -d "$DATA" ]; then data_args=(--data "$DATA"); else
    echo "smoke: warning: $DATA is missing; the self-test skips the replay and the order" >&2
fi
start=$SECONDS
QT_QPA_PLATFORM=offscreen timeout 600 "$EXE" selftest "${data_args[@]}"
echo "smoke: self-test took $((SECONDS - start)) s"
start=$SECONDS
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
replay_args=()
if [ -d "$DATA" ]; then  # the window then draws the capture's book, trades and bars
    replay_args=(--replay "$DATA/ws/cryptofeed__BINANCE.ws.1.0"
                 --instruments "$DATA/ref/cryptofeed__BINANCE.0" --speed 2)
fi
QT_QPA_PLATFORM=offscreen timeout 300 "$EXE" --data-dir "$scratch/data" --no-api \
    --duration 5 --log-level WARNING "${replay_args[@]}"
if grep -E " (ERROR|CRITICAL) " "$scratch/data/logs/terminal.log"; then
    echo "smoke: the window run logged errors (above)" >&2; exit 1
fi
[ -f "$scratch/data/terminal.db" ] || { echo "smoke: the window run left no database" >&2; exit 1; }
echo "smoke: the window started and closed after 5 s ($((SECONDS - start)) s in all)"
