"""Engine services: market data, books, bars, execution, portfolio, risk, recording."""
