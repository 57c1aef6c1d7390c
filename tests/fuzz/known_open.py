"""Finding classes the fuzzers still report on this branch whose fixes belong to
other work in progress on issue 12: the fuzz tests tolerate exactly these and
fail on anything else. Each entry: a regular expression over the finding key,
and who fixes it. Delete an entry when its fix lands; the list should end empty.
docs/reliability.md lists them with a sample file each.
"""
from __future__ import annotations

import re

KNOWN_OPEN: dict = {}  # every class found so far is fixed (docs/reliability.md)


def unexpected(keys) -> list:
    """The finding keys no KNOWN_OPEN entry covers."""
    return [k for k in keys if not any(re.search(p, k) for p in KNOWN_OPEN)]
