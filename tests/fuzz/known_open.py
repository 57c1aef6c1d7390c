"""Finding classes the fuzzers still report on this branch whose fixes belong to
other work in progress (issue 12): the smoke tests tolerate exactly these and
fail on anything else. Each entry: a regular expression over the finding key,
and who fixes it. Delete an entry when its fix lands; the list should end empty.
"""
from __future__ import annotations

import re

KNOWN_OPEN = {
    # importguard: invalid UTF-8 names, malformed initializers, the last-resort wrapper
    r"^(run:)?UnicodeDecodeError@": "importguard: invalid UTF-8 in names (checker and import context)",
    r"^run:AttributeError@fbwrite\.py:string$": "importguard: an invalid UTF-8 name reaches the .pml writer as bytes",
    r"^spec:name:bad_utf8$": "importguard: a model with invalid UTF-8 names is converted",
    r"^ValueError@context\.py:tensor_to_array$": "importguard: initializer data not matching its dims",
    # specstrict: attribute domains, dims < -1, declared TFLite shapes
    r"^spec:attr(_add)?:(Reduce\w+|ArgM(ax|in))\.keepdims$": "specstrict: keepdims outside {0, 1}",
    r"^spec:tensor_(shape(:declared)?|signature|rank)$": "specstrict: TFLite declared shapes / signatures",
}


def unexpected(keys) -> list:
    """The finding keys no KNOWN_OPEN entry covers."""
    return [k for k in keys if not any(re.search(p, k) for p in KNOWN_OPEN)]
