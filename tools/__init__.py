"""Development and evaluation tools: not part of the server. Run from the repository's root,
e.g. `python -m tools.evaluate` (the Makefile's targets do)."""
