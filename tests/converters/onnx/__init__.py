"""Tests of the ONNX importer, by op family (test_<family>.py) and on whole models."""
