"""Is a host reachable? `python -m terminal.netcheck HOST PORT` exits 0 when a TCP
connection opens within two seconds (name lookup included), 1 otherwise. `make run` asks it
whether to show the live Binance feed or the recorded demo."""

from __future__ import annotations

import socket
import sys
import threading

TIMEOUT_S = 2.0


def reachable(host: str, port: int, timeout_s: float = TIMEOUT_S) -> bool:
    result: list[bool] = []

    def attempt() -> None:  # name lookup has no timeout of its own: bounded by the join
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout_s)
    return bool(result and result[0])


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    return 0 if reachable(host, port) else 1


if __name__ == "__main__":
    sys.exit(main())
