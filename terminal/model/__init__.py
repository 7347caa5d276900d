"""Value types of the domain. Pure Python; no Qt, no SQL, no I/O."""
