"""Operator and developer commands: the local stack, the demo, tokens, dead letters."""
