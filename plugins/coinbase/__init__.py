"""Coinbase (legacy Pro API): product metadata parsing now; the live connector comes later."""
