"""Kraken spot: asset pair metadata parsing now; the live connector comes later."""
