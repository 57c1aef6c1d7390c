"""Tests of the model converters."""
