"""The `pocketml` command line: convert, info, run, bench (`python -m pocketml`).

main() turns every user mistake into one line on stderr and an exit code, never a
traceback: 2 for usage errors (a wrong path, name or shape: usage.UsageError and
argparse), 1 for failures (an unsupported op, a corrupted file, a missing optional
runtime), 130 for Ctrl-C, 141 for a closed pipe (`| head`). `--debug` re-raises instead.
"""
from __future__ import annotations

import os
import sys

from ..errors import InputError, PocketMLError
from ..precheck import InputShapeError
from .parser import build_parser
from .usage import MissingRuntime, UsageError


def _command(name: str):
    """The subcommand's function; its module (and what it needs) loads only when chosen, so that
    `pocketml info` starts quickly."""
    if name == "bench":
        from .bench import cmd_bench
        return cmd_bench
    if name == "info":
        from .info import cmd_info
        return cmd_info
    from .convert_run import cmd_convert, cmd_run
    return cmd_convert if name == "convert" else cmd_run


def _fail(code: int, message: str) -> int:
    print(f"pocketml: error: {message}", file=sys.stderr)
    return code


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the flush at exit does not raise again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _classify(e: Exception) -> tuple:
    """(exit code, one-line message) of an error a command raised."""
    if isinstance(e, (UsageError, InputError, InputShapeError)):  # wrong path, name, shape or dtype
        return 2, str(e)
    if isinstance(e, (PocketMLError, MissingRuntime)):
        return 1, str(e)
    if isinstance(e, MemoryError):
        return 1, "out of memory"
    if isinstance(e, OSError):
        return 1, f"{e.strerror or e}" + (f": {e.filename}" if e.filename else "")
    return 1, f"internal error ({type(e).__name__}: {e}); rerun with --debug and report the traceback"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as e:  # --help, --version, parse errors (already printed)
            return e.code if isinstance(e.code, int) else 2
        try:
            code = _command(args.command)(args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return code
        except Exception as e:
            if getattr(args, "debug", False) or isinstance(e, BrokenPipeError):
                raise
            return _fail(*_classify(e))
    except KeyboardInterrupt:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141


__all__ = ["main", "build_parser"]
