"""pytest setup for the converter tests: the ``slow`` marker tags cases that
take more than ~10 s (deselect them with ``-m "not slow"``)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than ~10 s (deselect with -m 'not slow')")
