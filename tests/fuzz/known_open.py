"""Finding classes the fuzzers still report on this branch whose fixes belong to
other work in progress on issue 12: the fuzz tests tolerate exactly these and
fail on anything else. Each entry: a regular expression over the finding key,
and who fixes it. Delete an entry when its fix lands; the list should end empty.
docs/reliability.md lists them with a sample file each.
"""
from __future__ import annotations

import re

KNOWN_OPEN = {
    # importguard: invalid UTF-8 names
    r"^(run:)?UnicodeDecodeError@": "importguard: invalid UTF-8 in names (checker, import context)",
    r"^(ValueError|IndexError)@importer\.py:_validate$": "importguard: the checker's own parse failure, and an "
                                                          "empty checker message, escape the validation wrapper",
    r"^run:AttributeError@fbwrite\.py:string$": "importguard: an invalid UTF-8 name reaches the .pml writer as bytes",
    r"^TypeError@(dispatch\.py:visit|precheck\.py:_raise_unsupported)$": "importguard: an invalid UTF-8 op type or "
                                                                          "name in the unsupported-op listing",
    r"^spec:name:bad_utf8$": "importguard: a model with invalid UTF-8 names is converted",
    # importguard: malformed initializers
    r"^ValueError@context\.py:tensor_to_array$": "importguard: initializer data not matching its dims",
    # importguard: sizes (overflow-safe shape inference, folding limits)
    r"^(MemoryError|ValueError)@context\.py:emit$": "importguard: np.empty of a huge inferred shape",
    r"^timeout:dims:input:big": "importguard: Expand/ConstantOfShape of a huge shape",
    r"^run:OverflowError@records\.py:_vector$": "importguard: an inferred dim past int64 reaches the writer",
    r"^MemoryError@ops_sequence\.py:split_to_sequence$": "importguard: a sequence of 2^40 elements built at import",
    # specstrict: attribute domains
    r"^spec:attr(_add)?:(Reduce\w+|ArgM(ax|in))\.keepdims$": "specstrict: keepdims outside {0, 1}",
    r"^IndexError@layout_perm\.py:": "specstrict: a Transpose perm that is not a permutation",
    r"^ZeroDivisionError@(layout\.py:window_geometry|context\.py:same_pads)$": "specstrict: strides 0",
    r"^(OverflowError|MemoryError)@ops_tensor\.py:split$": "specstrict: Split num_outputs out of range",
    r"^IndexError@tensor\.py:_concat_infer$": "specstrict: Concat axis out of range for the input's rank",
    r"^ValueError@layout\.py:to_nhwc$": "specstrict: pool kernel_shape not matching the input's rank",
    r"^IndexError@ops_attention\.py:attention$": "specstrict: Attention past key of the wrong rank",
    r"^KeyError@context\.py:shape$": "Scan with an empty variadic input (onnxruntime and the checker accept blanks "
                                      "in variadic inputs, so the Scan handler must skip or refuse them)",
    # specstrict: dims < -1, TFLite declared shapes and signatures
    r"^spec:dims:input:-5$": "specstrict: ONNX input dims < -1",
    r"^spec:(tensor_(shape(:declared)?|signature|rank)|buffer_len)$": "specstrict: TFLite declared shapes, "
                                                                      "signatures and constant sizes",
}


def unexpected(keys) -> list:
    """The finding keys no KNOWN_OPEN entry covers."""
    return [k for k in keys if not any(re.search(p, k) for p in KNOWN_OPEN)]
