"""Event bus, topics, lifecycle, clocks, tracked tasks and errors. No Qt, no SQL."""
