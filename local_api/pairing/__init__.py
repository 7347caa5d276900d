"""Pairing a phone: one-time codes, device credentials (short-lived signed access tokens and
rotating refresh tokens), the device event log, and the LAN listener's certificate."""
