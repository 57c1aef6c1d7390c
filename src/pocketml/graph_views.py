"""Read-only live views of a Graph's indexes (ir.Graph.producers() / consumers()).

Passes read them as mappings, mostly with ``get`` and ``in`` on names that often
have no entry (a graph input has no producer): Mapping's own ``get`` and ``in``
go through ``__getitem__`` and catch its KeyError, which costs more than the
lookup. Both are answered here from the index dicts directly, with the same
results.
"""
from __future__ import annotations

from collections.abc import Mapping


class ProducerView(Mapping):
    """Read-only live view: value name -> producing node."""
    __slots__ = ("_graph",)

    def __init__(self, graph):
        self._graph = graph

    def __getitem__(self, name):
        return self._graph._producer[name]

    def get(self, name, default=None):
        return self._graph._producer.get(name, default)

    def __contains__(self, name):
        return name in self._graph._producer

    def __iter__(self):
        return iter(self._graph._producer)

    def __len__(self):
        return len(self._graph._producer)


class ConsumerView(Mapping):
    """Read-only live view: value name -> list of consuming nodes (one entry per use)."""
    __slots__ = ("_graph",)

    def __init__(self, graph):
        self._graph = graph

    def __getitem__(self, name):
        uses = self._graph._uses.get(name)
        if not uses:
            raise KeyError(name)
        return [n for n, count in uses.values() for _ in range(count)]

    def get(self, name, default=None):
        uses = self._graph._uses.get(name)
        if not uses:
            return default
        return [n for n, count in uses.values() for _ in range(count)]

    def __contains__(self, name):
        return bool(self._graph._uses.get(name))

    def __iter__(self):
        return (k for k, v in self._graph._uses.items() if v)

    def __len__(self):
        return sum(1 for v in self._graph._uses.values() if v)
