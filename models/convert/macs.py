#!/usr/bin/env python3
"""Multiply-adds per inference of each shipped network (Conv, Gemm, MatMul), from the ONNX
graphs with their static shapes: `python3 models/convert/macs.py` (runs in convert.py's venv)."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import convert  # noqa: E402

convert.bootstrap(__file__)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper, shape_inference  # noqa: E402

NAMES = ["face_detection_short_range", "face_landmark", "mobilefacenet", "pad_liveness"]


def macs(path: Path):
    m = shape_inference.infer_shapes(onnx.load(str(path)))
    g = m.graph
    shapes = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    total, conv, depthwise, params = 0, 0, 0, sum(int(np.prod(a.shape)) for a in inits.values())
    for n in g.node:
        if n.op_type == "Conv":
            w = inits[n.input[1]]
            out = shapes[n.output[0]]
            group = next((a.i for a in n.attribute if a.name == "group"), 1)
            k = int(np.prod(w.shape[1:]))  # (C_in / group) · kh · kw
            mac = int(np.prod(out)) * k
            total += mac
            if group > 1 and group == w.shape[0]:
                depthwise += mac
            else:
                conv += mac
        elif n.op_type in ("Gemm", "MatMul"):
            a = shapes.get(n.input[0]) or list(inits[n.input[0]].shape)
            b = list(inits[n.input[1]].shape) if n.input[1] in inits else shapes[n.input[1]]
            trans_b = next((a_.i for a_ in n.attribute if a_.name == "transB"), 0)
            k = a[-1]
            nout = b[0] if trans_b else b[-1]
            total += int(np.prod(a[:-1])) * k * nout
            conv += int(np.prod(a[:-1])) * k * nout
    return total, conv, depthwise, params


if __name__ == "__main__":
    onnx_dir = HERE.parent / "onnx"
    print("| network | multiply-adds | of them dense / depthwise | parameters |")
    print("|---|---|---|---|")
    for name in NAMES:
        t, c, d, p = macs(onnx_dir / f"{name}.onnx")
        print(f"| {name} | {t / 1e6:.1f} M | {c / 1e6:.1f} M / {d / 1e6:.1f} M | {p / 1e3:.0f} k |")
