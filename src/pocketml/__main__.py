"""`python -m pocketml`: the pocketml command line (same as the `pocketml` command)."""
import sys

from .cli import main

sys.exit(main())
