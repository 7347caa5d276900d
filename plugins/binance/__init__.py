"""Binance spot: exchange metadata, public market data, kline backfill and signed trading.

Fixed files: config.py, instrument_provider.py, data_client.py, execution_client.py,
factory.py. The pieces other venue connectors share (backoff, hostgate, stream, feed) live
here too and are imported by the coinbase and kraken plugins.
"""
