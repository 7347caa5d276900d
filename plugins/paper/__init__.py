"""Paper trading: a simulated broker filling orders against the live book or quotes."""
