"""``python -m generator`` runs the gkml command line."""

from .cli import main

main()
