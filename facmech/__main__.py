"""``python -m facmech`` runs the command line."""

import sys

from facmech.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
