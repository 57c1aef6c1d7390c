"""A Relu fused into the Conv (or residual Add) producing its input, while the ONNX graph is imported.

A CNN exported for inference is mostly Conv (-> BatchNormalization) -> Relu, and its blocks end
with a residual Add (Sum) -> Relu. Imported one by one,
each Relu becomes an IR node of its own (eager_layout moves it onto the producer's NHWC output)
that the fuse_activation pass then melts into the producer as its ``act``. When the pass is sure to do
exactly that, the importer does it at once instead: the graph walk (importer.py) hands a Relu
here before building anything for it, and this module draws the same generated names in the same
order as the Relu's own import would have (its output, its node name, the NCHW transpose's node
name), gives the producer the activation attributes the pass would (fuse_activation.activation_of
of a Relu) and the Relu's output name (as take_output), so the converted graph is the same bit for
bit and the pass finds nothing left. The pass would fuse the Relu when:

- the Relu (default domain, one input, one output, no attribute) reads the NCHW transpose of a
  float32 NHWC output of a Conv, or of an Add of two run-time values (_runtime_add), with no
  activation on it yet (bn_into_conv leaves none) and no quantization parameters, and nothing
  else reads that output (the ONNX graph's readers: one, the Relu; no graph output; no subgraph);
- the model has no QuantizeLinear/DequantizeLinear and no op outside the default domain: the
  fold_qdq pass reads a Conv -> Relu -> QuantizeLinear chain before fuse_activation runs.

Anything else goes through the Relu's handler as before (FUSE = False does that always: the
tests compare both paths).
"""
from __future__ import annotations

from pocketml import ir, ops
from pocketml.passes._util import take_output_name
from pocketml.passes.fuse_activation import activation_of

from .context import Context, OnnxNode

FUSE = True  # False: every Relu takes its handler and the pass fuses it (tests compare the two)
NCHW_OF_NHWC = [0, 3, 1, 2]
_DEFAULT_DOMAINS = ("", "ai.onnx")
# op types whose presence leaves every Relu to the passes (fold_qdq reads Conv -> Relu -> Q chains)
_QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"})
# (act, act_alpha, act_beta) fuse_activation gives a Conv for a Relu
_RELU_ACT = activation_of(ir.Node("Relu", ["x"], ["y"], {}, "relu"))


def model_allows(fields: list) -> bool:
    """Whether any Relu of the graph whose node fields these are may fuse at import: FUSE, no
    QuantizeLinear/DequantizeLinear and no op outside the default domain."""
    return FUSE and not any(f[3] in _QDQ_OPS or f[4] not in _DEFAULT_DOMAINS for f in fields)


def fuse_relu(ctx: Context, proto, index: int, opset: int, fields: list) -> bool:
    """Fuse the Relu ``proto`` (node ``index`` of the main graph, ``fields[index]`` its inputs,
    outputs, name, op type, domain; a graph model_allows) into the Conv producing its input, as
    the passes would; False (nothing done) when it is not sure they would."""
    inputs, outputs, name, op_type, domain = fields[index]
    if len(inputs) != 1 or len(outputs) != 1 or not outputs[0] or domain not in _DEFAULT_DOMAINS:
        return False
    x = inputs[0]
    t = ctx.deferred.get(x)
    if t is None or list(t.attrs.get("perm", ())) != NCHW_OF_NHWC or len(proto.attribute):
        return False
    readers = ctx.readers(x)  # (one entry: this Relu's read)
    if readers is None or len(readers) != 1:
        return False
    y, graph = t.inputs[0], ctx.graph
    producer = graph.producer(y)
    if producer is None or producer.attrs.get("act", ops.ACT_NONE) != ops.ACT_NONE or graph.num_uses(y):
        return False
    if producer.op != "Conv" and not _runtime_add(graph, producer):
        return False
    v = graph.values[y]
    if v.dtype != "float32" or v.quant is not None:
        return False
    outer = ctx.node
    ctx.node = OnnxNode(proto, name or f"{op_type}_{index}", op_type, domain, opset, inputs, outputs, {},
                        attr_types=())
    node_name = ctx.node.name
    # the names the Relu's import draws: its NHWC output, then its IR node's (a fresh one only when
    # an earlier node took the ONNX name), then the NCHW transpose's below (emit1)
    r = ctx.new_name(f"{node_name}/Relu")
    if node_name in ctx.node_names:
        ctx.new_name(f"{node_name}/Relu")
    ctx.node_names.add(node_name)
    graph.add_value(r, v.dtype, v.shape)
    act, alpha, beta = _RELU_ACT
    producer.attrs.update(act=act, act_alpha=alpha, act_beta=beta)  # what fuse_activation writes
    take_output_name(graph, producer, r)  # as the pass's take_output
    ctx.emit1("Transpose", [r], outputs[0], {"perm": list(NCHW_OF_NHWC)}, hint="nchw")
    ctx.node = outer
    return True


def _runtime_add(graph: ir.Graph, node: ir.Node) -> bool:
    """An Add of two run-time values (a residual sum): no pass before fuse_activation reads its
    activation (fold_bn turns only an Add of a constant into a ScaleShift; fuse_conv_residual
    moves the Add's activation, whichever it is, onto the Conv it folds the Add into)."""
    values = graph.values
    return node.op == "Add" and len(node.inputs) == 2 and all(i and values[i].const is None for i in node.inputs)
