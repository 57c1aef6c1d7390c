"""Run an IR graph with the op registry's numpy references.

This is a test oracle (and what constant folding uses per node): it is never
how pocketml runs a model — Session runs the C runtime.
"""
from __future__ import annotations

# The runner lives with the registry (control-flow references run subgraphs with it).
from .ops.registry import run_graph, run_node  # noqa: E402,F401

__all__ = ["run_graph", "run_node"]
