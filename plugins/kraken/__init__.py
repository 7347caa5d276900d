"""Kraken spot: asset pair metadata and public market data (book with CRC32 checksums,
trades, ticker) over websocket v1. Fixed files: config.py, instrument_provider.py,
data_client.py, factory.py (no execution client: this connector does not trade)."""
