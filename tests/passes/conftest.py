"""Registers the ``slow`` marker used by the whole-network pass tests (deselect with -m "not slow")."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: whole-network test taking seconds; deselect with -m 'not slow'")
