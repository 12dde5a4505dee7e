#!/usr/bin/env python3
"""onnxruntime timings of the same .onnx files, single thread, for comparison with
`cargo bench -p models`. Run with the converter's venv:
    /tmp/zhanyou-models-convert/venv/bin/python models/convert/ort_bench.py

Each network is timed twice: the shipped file (with convert.py's rewrites, the forms tract runs
fastest) and the same graph with every PReLU put back into one ONNX `PRelu` node and every 2×2
stride-2 MaxPool into one node, as tflite2onnx made them (the form onnxruntime may run faster),
so tract is compared with onnxruntime's best. (MobileFaceNet's PReLUs, whose signs convert.py
folds into the convolutions around them, stay in the shipped form in both.)
Repeats the whole measurement `--rounds N` times (default 3) and prints the best median.
"""
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

ONNX = Path(__file__).resolve().parent.parent / "onnx"
NAMES = ["face_detection_short_range", "face_landmark", "mobilefacenet", "pad_liveness"]


def with_prelu(model):
    """The graph as tflite2onnx shapes it, undoing convert.py's speed rewrites:
    `Add(Relu(x), Mul(Min(x, 0), s))` and `Max(x, Mul(x, s))` → `PRelu(x, s)`, and a 2×1 pool
    followed by a 1×2 pool → one 2×2 stride-2 MaxPool."""
    g = model.graph
    producers = {o: n for n in g.node for o in n.output}
    inits = {i.name for i in g.initializer}
    slopes = {i.name: i for i in g.initializer}
    replace, drop = {}, set()
    for add in g.node:
        if add.op_type != "Add":
            continue
        a, b = (producers.get(i) for i in add.input)
        if a is None or b is None or a.op_type != "Relu" or b.op_type != "Mul":
            continue
        mn = producers.get(b.input[0])
        if mn is None or mn.op_type != "Min" or mn.input[0] != a.input[0] or b.input[1] not in inits:
            continue
        replace[id(add)] = helper.make_node("PRelu", [a.input[0], b.input[1]], list(add.output))
        drop.update({id(a), id(b), id(mn)})
    for mx in g.node:
        if mx.op_type != "Max" or len(mx.input) != 2:
            continue
        mul = producers.get(mx.input[1])
        if mul is None or mul.op_type != "Mul" or mul.input[0] != mx.input[0] or mul.input[1] not in inits:
            continue
        # With a slope > 1 the Max form computes −PReLU (convert.py folded the sign into the
        # convolutions around it): not a PRelu.
        if numpy_helper.to_array(slopes[mul.input[1]]).max() > 1.0:
            continue
        replace[id(mx)] = helper.make_node("PRelu", [mx.input[0], mul.input[1]], list(mx.output))
        drop.add(id(mul))
    for cols in g.node:
        rows = producers.get(cols.input[0]) if cols.op_type == "MaxPool" else None
        kernel = lambda n: next((list(a.ints) for a in n.attribute if a.name == "kernel_shape"), None)
        if rows is None or rows.op_type != "MaxPool" or kernel(rows) != [2, 1] or kernel(cols) != [1, 2]:
            continue
        replace[id(cols)] = helper.make_node("MaxPool", list(rows.input), list(cols.output),
                                             kernel_shape=[2, 2], strides=[2, 2])
        drop.add(id(rows))
    nodes = [replace.get(id(n), n) for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    return model, len(replace)


def time_session(session, x, name):
    inp = session.get_inputs()[0]
    for _ in range(5):
        session.run(None, {inp.name: x})
    ms = []
    for _ in range(100):
        t = time.perf_counter()
        session.run(None, {inp.name: x})
        ms.append((time.perf_counter() - t) * 1e3)
    ms.sort()
    return ms[50], ms[95]


def main():
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    print(f"onnxruntime {ort.__version__}, 1 thread, best of {rounds} rounds")
    print("| what | median ms | p95 ms | n |")
    print("|---|---|---|---|")
    for name in NAMES:
        shipped = onnx.load(str(ONNX / f"{name}.onnx"))
        prelu, n = with_prelu(onnx.load(str(ONNX / f"{name}.onnx")))
        variants = [("", shipped)] + ([(" (as converted: PRelu, 2×2 pools)", prelu)] if n else [])
        for label, model in variants:
            s = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
            shape = s.get_inputs()[0].shape
            count = int(np.prod(shape))
            x = ((np.arange(count) * 7919 % 1000) / 500.0 - 1.0).astype(np.float32).reshape(shape)
            best = min((time_session(s, x, name) for _ in range(rounds)), key=lambda r: r[0])
            print(f"| onnxruntime {name}{label} | {best[0]:.2f} | {best[1]:.2f} | 100 |")


if __name__ == "__main__":
    main()
