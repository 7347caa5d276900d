"""Replay: a data connector that plays recorded market data files at a chosen speed."""
