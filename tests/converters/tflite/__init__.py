"""Tests of the TFLite importer: the test-model builder, op by op against LiteRT, and the MediaPipe models."""
