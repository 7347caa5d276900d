"""Binance spot: exchange metadata parsing now; the live connector comes later."""
