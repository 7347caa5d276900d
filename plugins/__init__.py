"""Built-in plugins. Each ships through the `trading_terminal.plugins` entry points."""
