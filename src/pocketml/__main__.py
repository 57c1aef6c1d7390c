"""`python -m pocketml`: the pocketml command line (same as the `pocketml` command)."""
import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while the modules load is as quiet as during a command
    sys.exit(130)

sys.exit(main())
