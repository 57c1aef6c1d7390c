"""The argument parser: every subcommand with its help, every argument with help text, an
example per subcommand (epilog). Parse errors are one line (see Parser.error)."""
from __future__ import annotations

import argparse
import importlib.metadata
import sys

from .. import runtime
from .usage import bytes_arg, count_arg, dim_arg, input_arg, positive_int, seconds_arg, shape_arg

EPILOG = """examples:
  pocketml convert resnet50.onnx -o resnet50.pml
  pocketml convert model.onnx -o model.pml --input-shape input=1,3,224,224
  pocketml info resnet50.pml
  pocketml run resnet50.pml --input data=image.npy -o out.npz
  pocketml bench resnet50.pml --threads 1 --compare
  pocketml bench bert.pml --dim sequence=128 --json
  pocketml convert face_landmark.tflite -o face_landmark.pml
  pocketml bench face_landmark.pml --compare litert --profile
"""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, then exit 2 (argparse prints the whole usage block first)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Version(argparse.Action):
    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the pocketml, C runtime and kernel (isa) versions and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            c = f"C runtime {runtime.version()}, isa {runtime.available_isas()[0]} " \
                f"(available: {', '.join(runtime.available_isas())})"
        except Exception as e:  # a broken install still answers --version
            c = f"C runtime not loadable: {e}"
        print(f"pocketml {importlib.metadata.version('pocketml')} ({c}), Python {sys.version.split()[0]}")
        parser.exit(0)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the Python traceback of an error (for bug reports)")
    return p


def _sub(sub, name: str, help: str, description: str, example: str):
    p = sub.add_parser(name, help=help, description=description, epilog=example, parents=[_common()],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(command=name)
    return p


def _memory_limit(p: argparse.ArgumentParser) -> None:
    p.add_argument("--memory-limit", type=bytes_arg, default=0, metavar="BYTES",
                   help="most memory the session may hold (arenas, packed weights, state), e.g. 512M or 1G; "
                   "input shapes needing more fail with an out-of-memory error naming the bytes (default 0: no limit)")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="pocketml", description="Convert neural networks to .pml and run them with the pocketml C "
               "runtime.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[_common()])
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = _sub(sub, "convert", "convert an ONNX or TFLite model to .pml and print a summary",
             "Import a model (ONNX or TFLite, told apart by content), optimize it (constant folding, BatchNorm "
             "folding, activation fusion, NHWC layout) and write a verified .pml file. Prints ops by type, "
             "parameter count, file size and the activation arena size. Every unsupported op is listed at once.",
             "examples:\n  pocketml convert model.onnx -o model.pml\n"
             "  pocketml convert model.onnx -o model.pml --input-shape input=1,3,224,224")
    c.add_argument("src", help="source model (.onnx or .tflite)")
    c.add_argument("-o", "--output", required=True, help="output .pml path (its directory must exist)")
    c.add_argument("--input-shape", action="append", type=shape_arg, metavar="NAME=D0,D1,...",
                   help="fix an input's shape (e.g. a symbolic batch dim); dims positive; repeatable")
    c.add_argument("--max-fold-bytes", type=bytes_arg, metavar="SIZE",
                   help="largest tensor constant folding may create (e.g. 64M, 1G; default 64M): a bigger one is "
                        "computed at run time, or the model is refused if the converter needs its value")

    i = _sub(sub, "info", "describe a .pml model (instantly, without loading it)",
             "Print a .pml file's inputs and outputs (dtypes, symbolic dims), metadata, ops by type, parameters "
             "and sizes, read from the file alone: no session is created, so it is instant for any file size.",
             "example: pocketml info model.pml")
    i.add_argument("model", help=".pml file (convert .onnx/.tflite first with pocketml convert)")
    i.add_argument("--verify", action="store_true", help="also verify the file's checksum (reads the whole file)")

    r = _sub(sub, "run", "run a model on .npy inputs",
             "Run a model once on inputs read from .npy files and print each output's shape, range and top "
             "values; optionally save all outputs to an .npz.",
             "example: pocketml run model.pml --input data=x.npy -o out.npz")
    r.add_argument("model", help=".pml, .onnx or .tflite (a source model is converted in memory)")
    r.add_argument("--input", action="append", type=input_arg, metavar="NAME=FILE.npy",
                   help="data of one input, saved with numpy.save; repeatable")
    r.add_argument("--random", action="store_true", help="fill inputs not given with random data")
    r.add_argument("-o", "--output", help="save outputs to this .npz")
    r.add_argument("--threads", type=positive_int, default=1, help="worker threads (default 1)")
    r.add_argument("--top", type=count_arg, default=5, help="how many top values to print per output (default 5)")
    _memory_limit(r)

    b = _sub(sub, "bench", "measure latency (optionally against onnxruntime or LiteRT), profile ops",
             "Latency of a model on random inputs: init, first run, mean, min, max, median, std, p5 and p95, "
             "with a warning when the spread says the numbers are noise. Symbolic dims are set with --dim or "
             "--shape (else 1, with a warning). --compare also times the runtime of the model's source format "
             "(onnxruntime for ONNX, LiteRT for TFLite) on the source file, checked to be the one converted, "
             "interleaved in the same process; --profile N then times every node over N runs.",
             "examples:\n  pocketml bench model.pml --threads 1 --compare\n"
             "  pocketml bench bert.pml --dim sequence=128 --json\n"
             "  pocketml bench face_landmark.tflite --compare litert --profile 200")
    b.add_argument("model", help=".pml, .onnx or .tflite (a source model is converted in memory)")
    b.add_argument("--threads", type=positive_int, default=1, help="worker threads for every runtime (default 1)")
    _memory_limit(b)
    b.add_argument("--shape", action="append", type=shape_arg, metavar="NAME=D0,D1,...",
                   help="the shape of one input's random data; repeatable")
    b.add_argument("--dim", action="append", type=dim_arg, metavar="DIM=VALUE",
                   help="the value of a symbolic dim (e.g. sequence=128); repeatable")
    b.add_argument("--compare", nargs="?", const="auto", choices=["auto", "onnxruntime", "litert"],
                   help="also time the source model's runtime (default: onnxruntime for ONNX, litert for TFLite)")
    b.add_argument("--source", "--onnx", dest="source", metavar="PATH",
                   help="source model for --compare (default: the path recorded at conversion; checked by SHA-256)")
    b.add_argument("--profile", type=positive_int, nargs="?", const=100, default=0, metavar="RUNS",
                   help="after timing, profile every node over RUNS runs (default 100)")
    b.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    b.add_argument("--warmup", type=count_arg, default=3, help="untimed runs before timing (default 3)")
    b.add_argument("--rounds", type=positive_int, default=5,
                   help="rounds alternating the runtimes (default 5)")
    b.add_argument("--seconds", type=seconds_arg, default=3.0, help="total seconds of timed runs per runtime "
                   "(default 3)")
    return p
