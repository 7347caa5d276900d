"""The localhost API (REST, stream, webhooks) served on the terminal's own loop."""
