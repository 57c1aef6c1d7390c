"""`python -m pocketml.cli`: the pocketml command line."""
import sys

from . import main

sys.exit(main())
