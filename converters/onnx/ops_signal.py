"""ONNX signal-processing ops -> IR signal ops: DFT (opsets 17-19 take the
axis as an attribute, 20 as an optional input, default -2), STFT, the Hann,
Hamming and Blackman windows and MelWeightMatrix. A constant axis becomes the
IR attribute; lengths, frame steps and sizes stay inputs (the runtime reads
them while planning), and on constant inputs the registry's reference folds
the node away (a constant window or mel filterbank becomes a weight).
output_datatype maps from ONNX's numbering to pocketml's dtype codes.
"""
from __future__ import annotations

from pocketml import ir

from .attr_domains import BOOL, domain
from .context import ONNX_TO_DTYPE, Context, OnnxNode, handler, onnx_dtype_name
from .params import const_or_name


def _output_datatype(ctx: Context, node: OnnxNode) -> int:
    onnx_type = int(node.attrs.get("output_datatype", 1))
    if onnx_type not in ONNX_TO_DTYPE or ONNX_TO_DTYPE[onnx_type] == "bool":
        raise ctx.unsupported(f"output_datatype {onnx_dtype_name(onnx_type)} is not supported; supported: "
                              f"{', '.join(n for n in ONNX_TO_DTYPE.values() if n != 'bool')}")
    return ir.dtype_code(ONNX_TO_DTYPE[onnx_type])


def _flag(ctx: Context, node: OnnxNode, name: str, default: int) -> int:
    v = int(node.attrs.get(name, default))
    if v not in (0, 1):
        raise ctx.error(f"attribute {name}={v} must be 0 or 1")
    return v


@handler("DFT", shape_aware=True)
@domain(inverse=BOOL, onesided=BOOL)
def dft(ctx: Context, node: OnnxNode) -> None:
    attrs = {"inverse": _flag(ctx, node, "inverse", 0), "onesided": _flag(ctx, node, "onesided", 0)}
    axis_input = ""
    if node.opset < 20:
        attrs["axis"] = int(node.attrs.get("axis", 1))
    elif not node.input(2):
        attrs["axis"] = -2
    elif ctx.const(node.input(2)) is not None and ctx.const(node.input(2)).size == 1:
        attrs["axis"] = int(ctx.const(node.input(2)).reshape(-1)[0])
    else:
        axis_input = const_or_name(ctx, 2)
    length = const_or_name(ctx, 1) if node.input(1) else ""
    ctx.emit1("DFT", [node.input(0), length, axis_input], node.output(0), attrs)


@handler("STFT", shape_aware=True)
@domain(onesided=BOOL)
def stft(ctx: Context, node: OnnxNode) -> None:
    ins = [node.input(0), const_or_name(ctx, 1), node.input(2),
           const_or_name(ctx, 3) if node.input(3) else ""]
    ctx.emit1("STFT", ins, node.output(0), {"onesided": _flag(ctx, node, "onesided", 1)})


@handler("HannWindow", "HammingWindow", "BlackmanWindow", shape_aware=True)
@domain(periodic=BOOL)
def window(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1(node.op_type, [const_or_name(ctx, 0)], node.output(0),
              {"periodic": _flag(ctx, node, "periodic", 1), "output_datatype": _output_datatype(ctx, node)})


@handler("MelWeightMatrix", shape_aware=True)
def mel_weight_matrix(ctx: Context, node: OnnxNode) -> None:
    ctx.emit1("MelWeightMatrix", [const_or_name(ctx, i) for i in range(5)], node.output(0),
              {"output_datatype": _output_datatype(ctx, node)})
