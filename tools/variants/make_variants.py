#!/usr/bin/env python3
"""Makes precision variants of dnnbench catalog models: fp16, int8 dynamic, int8 static.

    make_variants.py --model ID --recipe fp16|int8-dynamic|int8-static [--recipe ...] [--model ...]
                     [--kit DIR] [--out DIR] [--force]
    make_variants.py --list

Run it with its venv: `npm run variants:make -- ...` (scripts/variants-venv.sh). Offline only:
never on a study's run-time path. Each variant `<parent id>.<recipe>` is written into the model
cache (<DNNBENCH_DATA or data/>/cache/models) as `<id>.onnx` and, after it, the sidecar `<id>.json`
(docs/VARIANTS.md says what it holds). A variant whose sidecar matches the tool version, recipe,
parameters, parent file and calibration set is up to date and not made again (--force remakes it).
"""
from __future__ import annotations

import sys

sys.dont_write_bytecode = True

import argparse
import hashlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "python"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxconverter_common  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnxconverter_common import float16  # noqa: E402
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_dynamic, quantize_static  # noqa: E402

from reference_accuracy import normalise  # noqa: E402
from torchvision_crop import crop  # noqa: E402

# Bump when a recipe's output changes meaning: older variants are then made again.
TOOL_VERSION = 2
RECIPES = ("fp16", "int8-dynamic", "int8-static")
# Held out: the variants preset evaluates the first 1,100 kit images by id (dataset.limit), so the
# last 200 calibrate and are never scored.
CALIBRATION = {"set": "val_227", "rule": "the last 200 images of the kit's val_227 sorted by id", "count": 200}
# Every recipe starts from the parent after onnxruntime's basic graph optimisations (BatchNorm folded
# into Conv, constants folded), saved offline: an unfolded BatchNorm's running variance can exceed
# what fp16 holds (Keras ResNet-50 has one of 83,615, clamped to max_finite_val), which cost that
# model 11 points of top-1 before this step. Not quant_pre_process: with skip_symbolic_shape=True
# (onnxruntime 1.30) it saves the unoptimised graph over the optimised one before shape inference.
PRE_PROCESS = "onnxruntime ORT_ENABLE_BASIC graph optimisations saved offline, then ONNX shape inference"
PARAMETERS = {
    "fp16": {"keep_io_types": True, "min_positive_val": 1e-7, "max_finite_val": 1e4, "disable_shape_infer": False, "op_block_list": None, "pre_process": PRE_PROCESS},
    "int8-dynamic": {"weight_type": "QInt8", "per_channel": False, "reduce_range": False, "pre_process": PRE_PROCESS},
    "int8-static": {
        "quant_format": "QDQ", "activation_type": "QUInt8", "weight_type": "QInt8", "per_channel": True, "reduce_range": False,
        "calibrate_method": "MinMax", "pre_process": PRE_PROCESS,
    },
}


class UsageError(Exception):
    """A problem the user can fix: exit 2 with one line, no stack."""


def data_dir() -> Path:
    return Path(os.environ.get("DNNBENCH_DATA", ROOT / "data")).resolve()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def catalog() -> list[dict]:
    return [m for f in ("data/catalog.json", "data/torchvision-catalog.json") for m in json.load(open(ROOT / f))["models"]]


def parent_of(model_id: str, kit: Path) -> dict:
    """The parent's file, preprocessing, output and weights, from the catalog (kit) or its export sidecar."""
    entry = next((m for m in catalog() if m["id"] == model_id), None)
    if entry is None:
        known = ", ".join(m["id"] for m in catalog())
        raise UsageError(f"unknown model {model_id!r}: not a catalog id (known: {known})")
    if entry["source"].get("torchvision"):
        cache = data_dir() / "cache" / "models"
        onnx_file, sidecar_file = cache / f"{model_id}.onnx", cache / f"{model_id}.json"
        if not onnx_file.exists() or not sidecar_file.exists():
            raise UsageError(f"{model_id} has not been exported: run `npm run export:models -- --arch {entry['source']['torchvision']} --random-weights` first")
        sidecar = json.load(open(sidecar_file))
        return {"id": model_id, "file": onnx_file, "preprocessing": sidecar["preprocessing"], "output": entry["output"], "weights": sidecar["weights"]}
    if not entry["source"].get("kit"):
        raise UsageError(f"{model_id} is in the catalog but not in the kit")
    file = kit / entry["source"]["kit"]
    if not file.exists():
        raise UsageError(f"{model_id} should be in the kit at {file}, but that file is missing (--kit or DNNBENCH_KIT)")
    return {"id": model_id, "file": file, "preprocessing": entry["preprocessing"], "output": entry["output"], "weights": "pretrained"}


def calibration_images(kit: Path) -> list[tuple[str, Path]]:
    manifest = json.load(open(kit / "manifest.json"))
    images = sorted(
        (os.path.basename(i["file"]).rsplit(".", 1)[0], kit / i["file"])
        for i in manifest["images"]["list"]
        if i["split"] == "val" and i["file"].startswith(f"images/{CALIBRATION['set']}/")
    )
    return images[-CALIBRATION["count"]:]


def crops(images: list[tuple[str, Path]], p: dict) -> np.ndarray:
    return normalise(np.stack([crop(str(f), p["resize"], p["crop"]) for _, f in images]), p)


class Reader(CalibrationDataReader):
    """The calibration crops, 8 at a time."""

    def __init__(self, name: str, x: np.ndarray):
        self.batches = iter([{name: x[i : i + 8]} for i in range(0, len(x), 8)])

    def get_next(self):
        return next(self.batches, None)


def input_of(path: Path) -> tuple[str, int, bool]:
    """The first input's name and element type, and whether the graph is quantized already."""
    m = onnx.load(str(path), load_external_data=False)
    inp = m.graph.input[0]
    quantized = any(n.op_type in ("QuantizeLinear", "DequantizeLinear") or n.op_type.startswith("QLinear") or n.op_type.endswith("Integer") for n in m.graph.node)
    return inp.name, inp.type.tensor_type.elem_type, quantized


def optimised(model: Path, work: Path) -> Path:
    """The model after onnxruntime's basic (provider-independent) optimisations, with shapes inferred."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(work / "optimised.onnx")
    ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
    onnx.shape_inference.infer_shapes_path(str(work / "optimised.onnx"), str(work / "pre.onnx"))
    return work / "pre.onnx"


def make(parent: dict, recipe: str, kit: Path, work: Path) -> tuple[Path, dict | None]:
    name, elem, quantized = input_of(parent["file"])
    if elem != onnx.TensorProto.FLOAT:
        raise UsageError(f"{parent['id']}: its input is {onnx.TensorProto.DataType.Name(elem)}, not float32; {recipe} variants are made from float32 models")
    if quantized:
        raise UsageError(f"{parent['id']} is quantized already; {recipe} variants are made from float32 models")
    out = work / "variant.onnx"
    pre = optimised(parent["file"], work)
    if recipe == "fp16":
        a = PARAMETERS["fp16"]
        model = float16.convert_float_to_float16(onnx.load(str(pre)), keep_io_types=a["keep_io_types"], min_positive_val=a["min_positive_val"],
                                                 max_finite_val=a["max_finite_val"], disable_shape_infer=a["disable_shape_infer"], op_block_list=a["op_block_list"])
        onnx.save(model, str(out))
        return out, None
    if recipe == "int8-dynamic":
        quantize_dynamic(str(pre), str(out), weight_type=QuantType.QInt8, per_channel=False, reduce_range=False)
        return out, None
    images = calibration_images(kit)
    x = crops(images, parent["preprocessing"])
    quantize_static(str(pre), str(out), Reader(name, x), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, per_channel=True, reduce_range=False, calibrate_method=CalibrationMethod.MinMax)
    ids = [i for i, _ in images]
    return out, {**CALIBRATION, "image_ids": ids, "ids_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest()}


def output_check(parent: dict, variant: Path, kit: Path) -> dict:
    """Both models on 8 calibration crops: the variant loads and runs, and how far its scores are from the parent's."""
    x = crops(calibration_images(kit)[:8], parent["preprocessing"])
    outs = []
    for f in (parent["file"], variant):
        s = ort.InferenceSession(str(f), providers=["CPUExecutionProvider"])
        outs.append(s.run(None, {s.get_inputs()[0].name: x})[0].astype(np.float32).reshape(len(x), -1))
    return {"images": len(x), "max_abs_diff": float(np.max(np.abs(outs[0] - outs[1]))),
            "top1_agreement": float(np.mean(np.argmax(outs[0], 1) == np.argmax(outs[1], 1)))}


def cpu() -> dict:
    try:
        info = open("/proc/cpuinfo").read()
    except OSError:
        return {"model": platform.processor()}
    flags = next((ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), [])
    model = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), platform.processor())
    return {"model": model, **{f: f in flags for f in ("avx2", "avx512_vnni", "avx_vnni")}}


def write_atomic(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as f:
        f.write(data)
    os.replace(f.name, path)


def run(model_id: str, recipe: str, kit: Path, out_dir: Path, force: bool) -> None:
    parent = parent_of(model_id, kit)
    vid = f"{model_id}.{recipe}"
    onnx_file, sidecar_file = out_dir / f"{vid}.onnx", out_dir / f"{vid}.json"
    parent_sha = sha256(parent["file"])
    if not force and sidecar_file.exists() and onnx_file.exists():
        old = json.load(open(sidecar_file))
        calibration_ok = recipe != "int8-static" or (old.get("calibration") or {}).get("ids_sha256") == hashlib.sha256(
            "\n".join(i for i, _ in calibration_images(kit)).encode()).hexdigest()
        if (old.get("tool_version") == TOOL_VERSION and old.get("parameters") == PARAMETERS[recipe] and old.get("parent", {}).get("sha256") == parent_sha
                and old.get("bytes") == onnx_file.stat().st_size and calibration_ok):
            print(f"{vid}: up to date", file=sys.stderr)
            return
    started = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        made, calibration = make(parent, recipe, kit, Path(tmp))
        check = output_check(parent, made, kit)
        os.replace(made, onnx_file)
    sidecar = {
        "id": vid, "variant_of": model_id, "recipe": recipe, "parameters": PARAMETERS[recipe], "precision": "fp16" if recipe == "fp16" else "int8",
        "parent": {"id": model_id, "file": str(parent["file"]), "sha256": parent_sha, "bytes": parent["file"].stat().st_size},
        "file": str(onnx_file), "bytes": onnx_file.stat().st_size, "sha256": sha256(onnx_file),
        "preprocessing": parent["preprocessing"], "output": parent["output"], "weights": parent["weights"],
        "calibration": calibration, "output_check": check, "tool_version": TOOL_VERSION,
        "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "onnxconverter_common": onnxconverter_common.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "seconds": round(time.time() - started, 2), "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpu": cpu(),
    }
    write_atomic(sidecar_file, (json.dumps(sidecar, indent=1) + "\n").encode())
    print(f"{vid}: {sidecar['bytes'] / 1e6:.1f} MB in {sidecar['seconds']} s, top-1 agreement {check['top1_agreement']:.2f} on {check['images']} images -> {onnx_file}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", default=[])
    ap.add_argument("--recipe", action="append", choices=RECIPES, default=[])
    ap.add_argument("--kit", default=os.environ.get("DNNBENCH_KIT", str(ROOT.parent / "shared" / "kit")))
    ap.add_argument("--out", help="default: the model cache, <DNNBENCH_DATA or data/>/cache/models")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--list", action="store_true", help="the recipes and their parameters")
    a = ap.parse_args()
    if a.list:
        print(json.dumps(PARAMETERS, indent=1))
        return 0
    if not a.model or not a.recipe:
        ap.error("give --model and --recipe (or --list)")
    out_dir = Path(a.out).resolve() if a.out else data_dir() / "cache" / "models"
    try:
        for m in a.model:
            for r in a.recipe:
                run(m, r, Path(a.kit).resolve(), out_dir, a.force)
    except UsageError as err:
        print(f"make_variants: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a converter or quantizer that fails on this graph: say which, no stack
        print(f"make_variants: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
