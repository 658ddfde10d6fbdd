"""Fault injection: the whole chain under crashes, pauses, restarts and bad input."""
