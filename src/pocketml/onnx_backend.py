"""pocketml as an ONNX backend (onnx.backend.base.Backend), for the ONNX
backend conformance tests and for users of that interface.

prepare() converts the model once with pocketml's ONNX importer and optimizer;
run() executes it with the C runtime through pocketml.Session, feeding every
graph input at run time exactly as given. Inputs whose values fix shapes (a
Reshape's target shape, Slice bounds...) are plan-time inputs of the session:
a new value plans, a value seen before re-uses its cached plan.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep


class PocketMLRep(BackendRep):
    def __init__(self, model: onnx.ModelProto, threads: int = 1):
        from .converters.onnx import import_onnx
        from .model import Model
        from .passes import optimize
        from .runtime import Session

        self.model = model
        inits = {t.name for t in model.graph.initializer}
        self.input_names = [i.name for i in model.graph.input if i.name not in inits]
        self.output_names = [o.name for o in model.graph.output]
        self.session = Session(Model(optimize(import_onnx(model), shapes_current=True)), threads=threads)

    def run(self, inputs: Any, **kwargs: Any) -> tuple:
        if isinstance(inputs, dict):
            feeds = dict(inputs)
        else:
            if not isinstance(inputs, (list, tuple)):
                inputs = [inputs]
            feeds = dict(zip(self.input_names, inputs))
        feeds = {k: np.asarray(v) for k, v in feeds.items()}
        # an input the converter found unused (e.g. folded away) is not a session input
        outputs = self.session.run({k: v for k, v in feeds.items() if k in self.session.input_names})
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
