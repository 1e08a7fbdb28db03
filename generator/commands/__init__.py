"""One module per command; :mod:`generator.cli` only parses options and calls these."""
