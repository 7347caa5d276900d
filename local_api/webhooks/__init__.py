"""Webhooks, out and in: Standard Webhooks signed deliveries from a persistent outbox, and
`POST /hooks/<id>` endpoints that turn TradingView-style alerts into orders or signals."""
