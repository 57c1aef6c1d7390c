"""The CLI teaches itself: every argument has help text, every subcommand an example,
--version names the C runtime and its kernels, `python -m pocketml` is the CLI."""
from __future__ import annotations

import argparse

import pocketml.runtime
from pocketml.cli.parser import build_parser

from .helpers import run_main, run_subprocess


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def test_every_argument_has_help_and_every_subcommand_an_example():
    parser = build_parser()
    subs = _subparsers(parser)
    assert set(subs) == {"convert", "info", "run", "bench"}
    for name, sub in [("pocketml", parser), *subs.items()]:
        assert "example" in (sub.epilog or ""), name
        for action in sub._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{name}: {action.option_strings or action.dest} has no help text"


def test_version(capsys):
    code, out, err = run_main(capsys, "--version")
    assert code == 0
    assert out.startswith("pocketml 0.1.0") and f"C runtime {pocketml.runtime.version()}" in out and "isa" in out


def test_python_m_pocketml():
    proc = run_subprocess("--help")
    assert proc.returncode == 0 and "convert" in proc.stdout and "bench" in proc.stdout
