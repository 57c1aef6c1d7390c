"""TFLite RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR -> IR Resize.

align_corners / half_pixel_centers map to the IR's coordinate modes and, for
nearest, to the rounding LiteRT uses; scales and sizes are explicit per axis
(NHWC: only H and W change)."""
from __future__ import annotations

import tflite

from .context import Context, handler


@handler("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
def resize(ctx: Context, op) -> None:
    bilinear = op.name == "RESIZE_BILINEAR"
    o = ctx.options(tflite.ResizeBilinearOptions if bilinear else tflite.ResizeNearestNeighborOptions,
                    required=False)
    x = ctx.input(0)
    size = [int(d) for d in ctx.param(1, "size").reshape(-1)]
    xs = ctx.shape(x)
    if len(xs) != 4 or len(size) != 2 or min(size) < 1 or not all(isinstance(d, int) and d > 0 for d in xs[1:3]):
        raise ctx.error(f"need a 4-D input with static H/W and 2 positive sizes, got input {list(xs)}, size {size}")
    align = bool(o.AlignCorners()) if o is not None else False
    half = bool(o.HalfPixelCenters()) if o is not None else False
    if bilinear:
        coord = 2 if align else (0 if half else 1)  # align_corners / half_pixel / asymmetric
        mode, nearest = 1, 0
    else:
        # TFLite nearest: in = floor(i*scale) (asymmetric), with half_pixel_centers
        # floor((i+0.5)*scale) (tf_half_pixel_for_nn), align_corners rounds half up
        mode = 0
        if align:
            coord, nearest = 2, 1
        elif half:
            coord, nearest = 5, 2
        else:
            coord, nearest = 1, 2
    scales = [1.0, size[0] / xs[1], size[1] / xs[2], 1.0]
    ctx.emit("Resize", [x], ctx.out(0), {"mode": mode, "coordinate_transformation_mode": coord,
                                         "nearest_mode": nearest, "scales": scales,
                                         "sizes": [xs[0] if isinstance(xs[0], int) else -1, size[0], size[1], xs[3]]})
