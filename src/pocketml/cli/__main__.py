"""`python -m pocketml.cli`: the pocketml command line."""
import sys

try:
    from . import main
except KeyboardInterrupt:  # Ctrl-C while the modules load is as quiet as during a command
    sys.exit(130)

sys.exit(main())
