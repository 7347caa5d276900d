"""Coinbase: product metadata and public market data (level2 book, matches, ticker) over the
Exchange websocket feed. Fixed files: config.py, instrument_provider.py, data_client.py,
factory.py (no execution client: this connector does not trade)."""
