"""pocketml as an ONNX backend (onnx.backend.base.Backend), for the ONNX
backend conformance tests and for users of that interface.

prepare() converts the model with pocketml's ONNX importer and optimizer and
run() executes it with the C runtime through pocketml.Session. Graph inputs
that ONNX passes at run time but that pocketml needs as constants at
conversion (shape-like parameters: a Reshape's target shape, Slice bounds,
Pad amounts, Clip limits...) are bound to the values given to run(): the model
is converted once per distinct set of such values and cached, i.e. shape
subgraphs are folded per concrete shape. Data inputs always go to the runtime.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep

# ONNX op type -> input positions that must be known at conversion time.
PARAMETER_INPUTS = {
    "Reshape": {1}, "Slice": {1, 2, 3, 4}, "Pad": {1, 2, 3}, "Clip": {1, 2}, "Split": {1},
    "Squeeze": {1}, "Unsqueeze": {1}, "ReduceMean": {1}, "ReduceSum": {1}, "ReduceMax": {1},
    "Resize": {1, 2, 3}, "Upsample": {1}, "ConstantOfShape": {0},
    "Expand": {1}, "Tile": {1}, "Range": {0, 1, 2}, "TopK": {1}, "OneHot": {1}, "CumSum": {1}, "Trilu": {1},
    **{op: {1} for op in ("ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp",
                          "ReduceLogSum")},
}


def parameter_inputs(model: onnx.ModelProto) -> set:
    """Names of graph inputs whose values reach a parameter position, directly
    or through a subgraph computing it (e.g. pads computed from a shape input)."""
    graph_inputs = {i.name for i in model.graph.input} - {t.name for t in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}
    pending = [node.input[pos] for node in model.graph.node for pos in PARAMETER_INPUTS.get(node.op_type, ())
               if pos < len(node.input) and node.input[pos]]
    seen, names = set(), set()
    while pending:
        value = pending.pop()
        if value in seen:
            continue
        seen.add(value)
        if value in graph_inputs:
            names.add(value)
        elif value in producer:
            pending.extend(i for i in producer[value].input if i)
    return names


class PocketMLRep(BackendRep):
    def __init__(self, model: onnx.ModelProto, threads: int = 1):
        self.model = model
        self.threads = threads
        inits = {t.name for t in model.graph.initializer}
        self.input_names = [i.name for i in model.graph.input if i.name not in inits]
        self.output_names = [o.name for o in model.graph.output]
        self.params = parameter_inputs(model)
        self._sessions: dict = {}
        if not self.params:
            self._session_for({})  # convert eagerly so unsupported ops fail in prepare

    def _session_for(self, bound: dict):
        from .converters.onnx import import_onnx
        from .model import Model
        from .passes import optimize
        from .runtime import Session

        key = tuple((k, v.dtype.str, v.shape, v.tobytes()) for k, v in sorted(bound.items()))
        if key not in self._sessions:
            graph = optimize(import_onnx(self.model, const_inputs=bound))
            self._sessions[key] = Session(Model(graph), threads=self.threads)
        return self._sessions[key]

    def run(self, inputs: Any, **kwargs: Any) -> tuple:
        if isinstance(inputs, dict):
            feeds = dict(inputs)
        else:
            if not isinstance(inputs, (list, tuple)):
                inputs = [inputs]
            feeds = dict(zip(self.input_names, inputs))
        feeds = {k: np.asarray(v) for k, v in feeds.items()}
        bound = {k: v for k, v in feeds.items() if k in self.params}
        session = self._session_for(bound)
        outputs = session.run({k: v for k, v in feeds.items() if k not in self.params and k in session.input_names})
        return tuple(outputs[name] for name in self.output_names)


class PocketMLBackend(Backend):
    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> bool:
        return device.upper() == "CPU"

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> PocketMLRep:
        super().prepare(model, device, **kwargs)
        return PocketMLRep(model, threads=int(kwargs.get("threads", 1)))

    @classmethod
    def run_model(cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any) -> tuple:
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node: onnx.NodeProto, inputs: Any, device: str = "CPU",
                 outputs_info: Optional[Any] = None, **kwargs: Any) -> tuple:
        raise NotImplementedError("pocketml runs whole models; use run_model")

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device.upper() == "CPU"


prepare = PocketMLBackend.prepare
run_model = PocketMLBackend.run_model
supports_device = PocketMLBackend.supports_device
backend = PocketMLBackend
