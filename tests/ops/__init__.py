"""Tests of the op registry (references, shape inference)."""
