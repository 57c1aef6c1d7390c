"""Bad source files give one error type: every failure converting an ONNX or TFLite file is a
ConversionError naming the node or tensor involved. Known failure modes (short initializer data,
invalid UTF-8, huge shapes) are checked before numpy or protobuf sees them; whatever else escapes an
importer is wrapped at the import boundary as "internal error ... please report" with the original
exception chained."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import pocketml
from pocketml.converters.onnx import import_onnx
from pocketml.converters.onnx.context import HANDLERS as ONNX_HANDLERS
from pocketml.converters.tflite import import_tflite
from pocketml.converters.tflite.context import HANDLERS as TFLITE_HANDLERS
from pocketml.errors import ConversionError
from tests.converters import crafted
from tests.converters.tflite.tflite_builder import build_model

F = TensorProto.FLOAT


def add_model(w: onnx.TensorProto) -> onnx.ModelProto:
    """y = x + w, x [4, 4], with the given initializer w."""
    model = crafted.onnx_model([helper.make_node("Add", ["x", "w"], ["y"], name="plus")], [("x", F, [4, 4])])
    model.graph.initializer.append(w)
    return model


def convert_bytes(tmp_path, data: bytes, name="m.onnx", **kw):
    path = tmp_path / name
    path.write_bytes(data)
    return pocketml.convert(path, **kw)


# ---- initializer data against its dims -------------------------------------------------------
def test_raw_data_shorter_than_dims_names_the_tensor(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    w.raw_data = w.raw_data[:10]
    with pytest.raises(ConversionError, match=r"tensor 'w' holds 10 bytes of raw_data, its dims \[4, 4\] need 64"):
        pocketml.convert(add_model(w))


@pytest.mark.parametrize("dtype,field", [(TensorProto.FLOAT, "float_data"), (TensorProto.INT64, "int64_data"),
                                         (TensorProto.INT32, "int32_data"), (TensorProto.FLOAT16, "int32_data"),
                                         (TensorProto.UINT64, "uint64_data"), (TensorProto.BOOL, "int32_data")])
def test_typed_data_count_checked_for_every_dtype(dtype, field):
    w = helper.make_tensor("w", dtype, [2, 3], np.zeros(6).astype(helper.tensor_dtype_to_np_dtype(dtype)))
    getattr(w, field).pop()
    node = helper.make_node("Identity", ["w"], ["y"], name="id")
    model = crafted.onnx_model([node])
    model.graph.initializer.append(w)
    with pytest.raises(ConversionError, match=rf"tensor 'w' holds 5 values in {field}, its dims \[2, 3\] need 6"):
        import_onnx(model)


@pytest.mark.parametrize("dims,match", [([-3, 4], r"negative dims \[-3, 4\]"),
                                        ([1 << 40, 1 << 40], r"too large \(over 2\^62 elements"),
                                        ([1 << 62, 0, 0], r"\[4611686018427387904, 0, 0\]: too large")])
def test_initializer_dims_checked_before_decoding(dims, match):
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    del w.dims[:]
    w.dims.extend(dims)
    with pytest.raises(ConversionError, match=match):
        pocketml.convert(add_model(w))


def test_external_data_shorter_than_dims(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    (tmp_path / "w.bin").write_bytes(w.raw_data[:32])
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="w.bin")
    with pytest.raises(ConversionError, match=r"external tensor 'w': 'w.bin' holds 32 bytes past offset 0, its "
                                              r"dims \[4, 4\] need 64"):
        convert_bytes(tmp_path, add_model(w).SerializeToString())
    (tmp_path / "w.bin").write_bytes(np.ones(16, np.float32).tobytes())
    w.external_data.add(key="length", value="48")  # inside the (now whole) file, but not what the dims need
    with pytest.raises(ConversionError, match=r"external tensor 'w': length 48 bytes, its dims \[4, 4\] need 64"):
        convert_bytes(tmp_path, add_model(w).SerializeToString())


# ---- names must be UTF-8 ---------------------------------------------------------------------
@pytest.mark.parametrize("field", ["name", "op_type", "input"])
def test_invalid_utf8_in_a_node_is_a_conversion_error(tmp_path, field):
    node = helper.make_node("Relu", ["x"], ["y"], name="act")
    model = crafted.onnx_model([node], [("x", F, [2])])
    marker = {"name": "act", "op_type": "Relu", "input": "x"}[field]
    if field == "input":  # the graph input keeps its name; the node reads a name that is not UTF-8
        model.graph.node[0].input[0] = "QQ"
        data = model.SerializeToString().replace(b"QQ", b"\xff\xfe")
    else:
        data = model.SerializeToString().replace(marker.encode(), b"Q\xff\xfe" + marker.encode()[3:], 1)
    with pytest.raises(ConversionError, match=rf"{field} '.*\\xff\\xfe.*' is not valid UTF-8"):
        convert_bytes(tmp_path, data)



@pytest.mark.parametrize("kind", ["GRAPH", "INT"])
def test_invalid_utf8_inside_a_subgraph(tmp_path, kind):
    """A name in an If branch is checked too: the walk below the main graph runs when one of its
    attributes holds a subgraph, whatever the attribute's type says (INT: a crafted file)."""
    branch = helper.make_graph([helper.make_node("Relu", ["x"], ["t"], name="QQQQ")], "b", [],
                               [helper.make_tensor_value_info("t", F, [2])])
    cond = helper.make_node("If", ["c"], ["y"], name="if", then_branch=branch, else_branch=branch)
    model = crafted.onnx_model([cond], [("x", F, [2]), ("c", TensorProto.BOOL, [])])
    if kind == "INT":
        for a in model.graph.node[0].attribute:
            a.type = onnx.AttributeProto.INT
    data = model.SerializeToString().replace(b"QQQQ", b"r\xff\xfeu")
    with pytest.raises(ConversionError, match=r"name 'r\\xff\\xfeu' is not valid UTF-8"):
        convert_bytes(tmp_path, data)

def test_invalid_utf8_in_a_dim_name(tmp_path):
    model = crafted.onnx_model([helper.make_node("Relu", ["x"], ["y"], name="act")], [("x", F, ["QQQQ", 2])])
    data = model.SerializeToString().replace(b"QQQQ", b"b\xff\xfeh")
    with pytest.raises(ConversionError, match=r"input 'x' has a dim name 'b\\xff\\xfeh' that is not valid UTF-8"):
        convert_bytes(tmp_path, data)


def test_invalid_utf8_in_a_string_attribute(tmp_path):
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], name="up", mode="QQQQQQ")
    model = crafted.onnx_model([node], [("x", F, [1, 1, 2, 2])], {"s": np.array([1, 1, 2, 2], np.float32)})
    data = model.SerializeToString().replace(b"QQQQQQ", b"near\xff\xfe")
    with pytest.raises(ConversionError, match=r"node 0 \('up', Resize\): attribute 'mode' = 'near\\xff\\xfe' is not "
                                              r"valid UTF-8"):
        convert_bytes(tmp_path, data)


# ---- huge shapes from data: refused or left to run time, never built ---------------------------
def test_expand_to_2_62_is_refused_by_inference():
    with pytest.raises(ConversionError, match=r"graph input 'r': shape \[4611686018427387904\] \(int64\) is larger "
                                              r"than the 256 TiB a tensor may hold"):
        pocketml.convert(crafted.expand_2_62())
    model = crafted.expand_2_62()
    del model.graph.node[1], model.graph.input[1], model.graph.output[1]
    with pytest.raises(ConversionError, match=r"node 'grow' \(Expand, opset 17\).*shape \[2147483648, 2147483648\] "
                                              r"\(float32\) is larger than the 256 TiB"):
        pocketml.convert(model)


def test_run_time_shape_input_longer_than_any_rank():
    model = crafted.onnx_model([helper.make_node("ConstantOfShape", ["s"], ["y"], name="fill")],
                               [("s", TensorProto.INT64, [1000])])
    with pytest.raises(ConversionError, match=r"node 'fill' \(ConstantOfShape.*input 'shape' has 1000 values; a "
                                              r"tensor has at most 64 dims"):
        pocketml.convert(model)


@pytest.mark.parametrize("make,match", [(crafted.range_huge, r"node 'count' \(Range, opset 17\).*larger than"),
                                        (crafted.tile_huge, r"node 'tiles' \(Tile, opset 17\).*larger than")])
def test_huge_counts_refused_before_folding(make, match):
    with pytest.raises(ConversionError, match=match):
        pocketml.convert(make())


def test_batchnorm_statistics_of_different_lengths():
    x = helper.make_tensor_value_info("x", F, [1, 2, 3, 3])
    stats = {"s": np.ones(2, np.float32), "b": np.zeros(2, np.float32), "m": np.zeros(5, np.float32),
             "v": np.ones(2, np.float32)}
    model = crafted.onnx_model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn")],
                               inits=stats)
    model.graph.input.append(x)
    with pytest.raises(ConversionError, match=r"node 'bn'.*scale, bias, mean and var must have one shape \[C\]; got "
                                              r"\[\[2\], \[2\], \[5\], \[2\]\]"):
        pocketml.convert(model)


def test_pool_kernel_wider_than_any_input_is_refused_before_padding():
    with pytest.raises(ConversionError, match=r"node 'pool' \(AveragePool, opset 22\): folding AveragePool on constant "
                                              r"inputs failed: its working array \[1, 2147483679, 33, 3\] would take 792 GiB"):
        pocketml.convert(crafted.pool_with_huge_kernel())


def test_if_on_a_constant_condition_passes_a_sequence_along():
    """A branch taken at conversion that returns a sequence: the If's output is that sequence (it was a
    KeyError)."""
    seq = helper.make_tensor_sequence_value_info
    branch = {k: helper.make_graph([helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(
        np.full(3, v, np.float32))), helper.make_node("SequenceConstruct", ["c"], ["s"])], k, [],
        [seq("s", F, [3])]) for k, v in (("then", 1.0), ("else", 2.0))}
    model = crafted.onnx_model([helper.make_node("If", ["cond"], ["res"], name="pick", then_branch=branch["then"],
                                                 else_branch=branch["else"]),
                                helper.make_node("SequenceAt", ["res", "zero"], ["y"], name="first")],
                               inits={"cond": np.array(True), "zero": np.array(0, np.int64)})
    graph = import_onnx(model)
    assert graph.values[graph.outputs[0]].const.tolist() == [1.0, 1.0, 1.0]  # the then branch's item


def test_a_sequence_read_as_a_tensor_names_it():
    model = crafted.onnx_model([helper.make_node("SequenceConstruct", ["x"], ["seq"], name="pack"),
                                helper.make_node("Relu", ["seq"], ["y"], name="act")], [("x", F, [2])])
    with pytest.raises(ConversionError, match=r"node 'act' \(Relu, opset 17\): input 'seq' is a sequence; Relu takes "
                                              r"tensors"):
        import_onnx(model)


@pytest.mark.parametrize("split,dims,match", [(0, [4], r"split 0 must be >= 1"),
                                              (None, [1 << 40], r"splitting dim 1099511627776 makes 1099511627776 items; a sequence resolved at "
                                                                r"conversion holds at most 65536")])
def test_split_to_sequence_checks_its_item_count_first(split, dims, match):
    inits = {} if split is None else {"k": np.array(split, np.int64)}
    model = crafted.onnx_model([helper.make_node("SplitToSequence", ["x"] + list(inits), ["seq"], name="cut"),
                                helper.make_node("SequenceAt", ["seq", "zero"], ["y"], name="first")],
                               [("x", F, dims)], {**inits, "zero": np.array(0, np.int64)})
    with pytest.raises(ConversionError, match=rf"node 'cut' \(SplitToSequence, opset 17\): {match}"):
        import_onnx(model)


def test_lp_pool_working_array_checked_before_folding():
    model = crafted.onnx_model([helper.make_node("LpPool", ["x"], ["y"], name="lp", kernel_shape=[100000, 2],
                                                 auto_pad="SAME_LOWER", p=3)],
                               inits={"x": np.ones((1, 3, 32, 32), np.float32)}, opset=22)
    with pytest.raises(ConversionError, match=r"node 'lp' \(LpPool, opset 22\): folding LpPool on constant inputs "
                                              r"failed: its working array \[1, 32, 32, 100000, 2, 3\] would take"):
        pocketml.convert(model)


def test_tflite_zero_stride_is_refused_before_same_padding_divides():
    data = build_model([("CONV_2D", ["x", "w", "b"], ["y"], {"padding": "SAME", "stride_h": 0, "stride_w": 0})],
                       {"x": ("float32", (1, 4, 4, 1), None), "w": ("float32", (1, 3, 3, 1), np.ones((1, 3, 3, 1),
                                                                                                   np.float32)),
                        "b": ("float32", (1,), np.zeros(1, np.float32)), "y": ("float32", (1, 4, 4, 1), None)},
                       ["x"], ["y"])
    with pytest.raises(ConversionError, match=r"operator 0 \(CONV_2D.*stride_h=0 is outside its domain; allowed: an "
                                              r"integer >= 1"):
        import_tflite(data)


def test_tflite_constant_buffer_shorter_than_its_shape():
    data = build_model([("ADD", ["x", "c"], ["y"], None)],
                       {"x": ("float32", (7, 13), None), "c": ("float32", (7, 11), np.ones((7, 11), np.float32)),
                        "y": ("float32", (7, 13), None)}, ["x"], ["y"])
    dims = np.array([7, 11], "<i4").tobytes()
    assert data.count(dims) == 1
    data = data.replace(dims, np.array([7, 13], "<i4").tobytes())  # c now declares 91 values, its buffer holds 77
    with pytest.raises(ConversionError, match=r"TFLite operator 0 \(ADD.*constant tensor 1 \('c'\) of shape \[7, 13\] "
                                              r"needs 91 float32 values, its buffer holds 77"):
        import_tflite(data)


# ---- the last resort: anything unforeseen is a ConversionError naming the node -----------------
def test_unexpected_exception_in_an_onnx_handler_is_wrapped(monkeypatch, tmp_path):
    def broken(ctx, node):
        raise KeyError("surprise")

    monkeypatch.setitem(ONNX_HANDLERS, "Relu", broken)
    path = tmp_path / "relu.onnx"
    onnx.save(crafted.onnx_model([helper.make_node("Relu", ["x"], ["y"], name="act")], [("x", F, [2])]), path)
    with pytest.raises(ConversionError) as info:
        pocketml.convert(path)
    assert str(info.value) == (f"internal error converting {path} at node 'act' (Relu, opset 17): KeyError: "
                               "'surprise'; please report")
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(ConversionError, match=r"internal error converting <onnx.ModelProto> at node 'act'"):
        import_onnx(onnx.load(path))


def _if_model(after_if: str) -> onnx.ModelProto:
    """y = If(c) {then: Neg(x), else: Relu(x) named 'inner_act'} followed by ``after_if`` named 'last'."""
    def branch(op, name):
        return helper.make_graph([helper.make_node(op, ["x"], ["b"], name=name)], name,
                                 [], [helper.make_tensor_value_info("b", F, [2])])
    nodes = [helper.make_node("If", ["c"], ["t"], name="choose", then_branch=branch("Neg", "neg"),
                              else_branch=branch("Relu", "inner_act")),
             helper.make_node(after_if, ["t"], ["y"], name="last")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [2]),
                                          helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info("y", F, [2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_unexpected_exception_in_a_subgraph_names_the_subgraph_node_then_the_outer_one(monkeypatch):
    """The import boundary names the node of the innermost graph being imported; once a subgraph
    is imported, a failure further on names the enclosing graph's node."""
    def broken(ctx, node):
        raise KeyError("surprise")

    monkeypatch.setitem(ONNX_HANDLERS, "Relu", broken)
    with pytest.raises(ConversionError, match=r"internal error converting <onnx.ModelProto> at node "
                                              r"'choose/else/inner_act' \(Relu, opset 17\): KeyError"):
        import_onnx(_if_model("Abs"))
    monkeypatch.setitem(ONNX_HANDLERS, "Relu", ONNX_HANDLERS["Neg"])  # the branch imports, the Sigmoid after fails
    monkeypatch.setitem(ONNX_HANDLERS, "Sigmoid", broken)
    with pytest.raises(ConversionError, match=r"internal error converting <onnx.ModelProto> at node "
                                              r"'last' \(Sigmoid, opset 17\): KeyError"):
        import_onnx(_if_model("Sigmoid"))


def test_unexpected_exception_in_a_tflite_handler_is_wrapped(monkeypatch):
    def broken(ctx, op):
        raise ZeroDivisionError("deep")

    monkeypatch.setitem(TFLITE_HANDLERS, "RELU", broken)
    data = build_model([("RELU", ["x"], ["y"], None)], {"x": ("float32", (1, 4), None),
                                                        "y": ("float32", (1, 4), None)}, ["x"], ["y"])
    with pytest.raises(ConversionError, match=r"^internal error converting <tflite bytes> at node 'operator 0' \(RELU\)"
                                              r": ZeroDivisionError: deep; please report$") as info:
        import_tflite(data)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_a_tflite_failure_names_the_operator_of_the_graph_it_happened_in(monkeypatch):
    """A CALL_ONCE init subgraph is imported by its own context: a failure inside it names its
    operator, and one after it, in the main graph, names the main graph's (the finished init
    context is no longer where failures happen)."""
    from tests.converters.tflite.test_state import streaming_model

    def broken(ctx, op):
        raise ZeroDivisionError("deep")

    monkeypatch.setitem(TFLITE_HANDLERS, "MUL", broken)  # the main graph's operator 8; none in the init graph
    with pytest.raises(ConversionError, match=r"at node 'operator 8' \(MUL\): ZeroDivisionError"):
        import_tflite(streaming_model())
    monkeypatch.setitem(TFLITE_HANDLERS, "ASSIGN_VARIABLE", broken)  # the init graph's first ASSIGN_VARIABLE
    with pytest.raises(ConversionError, match=r"at node 'operator 3' \(ASSIGN_VARIABLE\): ZeroDivisionError"):
        import_tflite(streaming_model())


def test_memory_error_while_optimizing_is_wrapped(monkeypatch):
    from pocketml import passes

    def exhausted(graph, **kw):
        raise MemoryError("no room")

    monkeypatch.setattr(passes, "optimize", exhausted)
    model = crafted.onnx_model([helper.make_node("Relu", ["x"], ["y"], name="act")], [("x", F, [2])])
    with pytest.raises(ConversionError, match=r"^internal error converting <onnx.ModelProto> while optimizing the "
                                              r"graph: MemoryError: no room; please report$") as info:
        pocketml.convert(model)
    assert isinstance(info.value.__cause__, MemoryError)


def test_caller_mistakes_keep_their_python_types(tmp_path):
    with pytest.raises(FileNotFoundError):
        pocketml.convert(tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match="max_fold_bytes"):
        pocketml.convert(crafted.tile_huge(), max_fold_bytes=-1)


@pytest.mark.parametrize("extra", [-1, 1])
def test_sparse_weights_must_hold_exactly_the_values_their_sparsity_describes(extra):
    """A CSR-sparse constant's buffer with fewer or more values than its segments and indices
    describe (the TFLite fuzzer doubled one in a MediaPipe model, which then ran as if valid)."""
    from tests.converters.tflite.tflite_builder import csr_sparsity

    dense = np.eye(4, 6, dtype=np.float32)
    values, sparsity = csr_sparsity(dense)
    values = np.concatenate([values, np.ones(1, np.float32)]) if extra > 0 else values[:-1]
    data = build_model([("DENSIFY", ["ws"], ["w"], None), ("FULLY_CONNECTED", ["x", "w", None], ["y"], None)],
                       {"x": ("float32", (3, 6), None), "ws": ("float32", (4, 6), values, sparsity),
                        "w": ("float32", (4, 6), None), "y": ("float32", (3, 4), None)}, ["x"], ["y"])
    with pytest.raises(ConversionError, match=rf"{values.size} stored values, the sparsity describes 4"):
        import_tflite(data)
