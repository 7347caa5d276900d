"""`make bench`: every benchmark, each printing ratios against its in-run reference."""

from __future__ import annotations

import logging

from bench import (
    api_throughput,
    backtest,
    bar_insert,
    book_apply,
    chart_frame,
    indicators,
    loop_stalls,
    package,
    replay_throughput,
    risk_check,
    webhooks,
)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    replay_throughput.main()
    book_apply.main()
    bar_insert.main()
    chart_frame.main()
    loop_stalls.main()
    risk_check.main()
    indicators.main()
    backtest.main()
    api_throughput.main()
    webhooks.main()
    package.main()


if __name__ == "__main__":
    main()
