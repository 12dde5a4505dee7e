#!/usr/bin/env python3
"""onnxruntime timings of the same .onnx files, single thread, for comparison with
`cargo bench -p models`. Run with the converter's venv:
    /tmp/zhanyou-models-convert/venv/bin/python models/convert/ort_bench.py
"""
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ONNX = Path(__file__).resolve().parent.parent / "onnx"
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
opts.inter_op_num_threads = 1
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
print(f"onnxruntime {ort.__version__}, 1 thread")
print("| what | median ms | p95 ms | n |")
print("|---|---|---|---|")
for name in ["face_detection_short_range", "face_landmark", "iris_landmark", "mobilefacenet"]:
    s = ort.InferenceSession(str(ONNX / f"{name}.onnx"), opts, providers=["CPUExecutionProvider"])
    inp = s.get_inputs()[0]
    n = int(np.prod(inp.shape))
    x = ((np.arange(n) * 7919 % 1000) / 500.0 - 1.0).astype(np.float32).reshape(inp.shape)
    for _ in range(5):
        s.run(None, {inp.name: x})
    ms = []
    for _ in range(100):
        t = time.perf_counter()
        s.run(None, {inp.name: x})
        ms.append((time.perf_counter() - t) * 1e3)
    ms.sort()
    print(f"| onnxruntime {name} | {ms[50]:.2f} | {ms[95]:.2f} | 100 |")
