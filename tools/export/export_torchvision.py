#!/usr/bin/env python3
"""Exports torchvision ImageNet classifiers to ONNX for dnnbench, each with a JSON sidecar.

    export_torchvision.py --arch resnet18 [--arch ...] [--random-weights] [--out DIR] [--force]
    export_torchvision.py --all --random-weights          # the papers' architectures (architectures.PAPERS)
    export_torchvision.py --catalog data/torchvision-catalog.json
    export_torchvision.py --list

Run it with the exporter's venv: `"$(bash scripts/export-venv.sh)" tools/export/export_torchvision.py ...`
or `npm run export:models -- ...`. docs/EXPORT.md says what the files hold and why.
"""
from __future__ import annotations

import sys

# The sibling modules are imported from the repository: leave no __pycache__ there to commit.
sys.dont_write_bytecode = True

import argparse
import hashlib
import json
import os
import platform
import socket
import time
import warnings
from pathlib import Path
from typing import Any

import torch
import torchvision
from torchvision.models import get_model

from architectures import (
    PAPERS, PRETRAINED_LIKE_KWARGS, classifier_names, interpolation_of, model_id, names_of,
    preprocessing_of, published_of, weights_of,
)
from reconcile import aux_head_params, param_accounting

# Bump when the exported graph or the sidecar changes meaning: older files are then exported again.
TOOL_VERSION = 1
OPSET = 17
INPUT_NAME, OUTPUT_NAME = "input", "logits"
# Traced at batch 2, so that nothing batch-1-specific (a squeeze, a constant shape) can be baked in.
TRACE_BATCH = 2
SEED = 0
ROOT = Path(__file__).resolve().parents[2]


class UsageError(Exception):
    """A problem the user can fix (unknown architecture, weights not downloadable): exit 2, no stack."""


def default_out() -> Path:
    """dnnbench's model cache: <DNNBENCH_DATA or data/>/cache/models (src/study/catalog.ts looks there)."""
    data = Path(os.environ.get("DNNBENCH_DATA", ROOT / "data"))
    return data.resolve() / "cache" / "models"


def build_model(arch: str, pretrained: bool) -> torch.nn.Module:
    weights = weights_of(arch)
    kwargs = dict(PRETRAINED_LIKE_KWARGS.get(arch, {}))
    if not pretrained:
        torch.manual_seed(SEED)  # the same random weights on every run
        return distinct_random_tensors(get_model(arch, weights=None, **kwargs)).eval()
    kwargs.pop("init_weights", None)
    kwargs.pop("aux_logits", None)  # the builder sets these itself when it loads weights
    # No network here would otherwise hang for minutes in the download.
    socket.setdefaulttimeout(30)
    try:
        return get_model(arch, weights=weights, **kwargs).eval()
    except Exception as err:  # URLError, timeouts, HTTP errors, a truncated file
        raise UsageError(
            f"pretrained weights for {arch} ({weights.url}) could not be loaded: {type(err).__name__}: {err}. "
            f"Put the file in {torch.hub.get_dir()}/checkpoints/ or export with --random-weights "
            "(architecture, parameters, operations and timings do not depend on the weight values)."
        ) from err


@torch.no_grad()
def distinct_random_tensors(model: torch.nn.Module) -> torch.nn.Module:
    """Freshly initialised models hold many equal tensors (BN scale 1 and shift 0, zero biases,
    ConvNeXt's layer scales of 1e-6) and the exporter stores equal initializers once, shared
    through Identity nodes, which would make the parameter count depend on the weight values.
    A trained model has no such coincidences, so give BN trained-like statistics and jitter every
    other constant tensor."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            if m.affine:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    for t in [*model.parameters(), *model.buffers()]:
        if t.is_floating_point() and t.numel() > 1 and bool((t == t.flatten()[0]).all()):
            t.add_(torch.randn_like(t) * 0.01 * max(float(t.flatten()[0].abs()), 1e-3))
    return model


def shared_initializers(onnx_file: Path) -> int:
    """Initializers the exporter stored once for several uses (read through Identity nodes)."""
    import onnx

    graph = onnx.load(str(onnx_file), load_external_data=False).graph
    inits = {i.name for i in graph.initializer}
    return sum(1 for n in graph.node if n.op_type == "Identity" and n.input and n.input[0] in inits)


def output_check(model: torch.nn.Module, example: torch.Tensor) -> dict[str, Any]:
    """Random weights must still give finite, non-vanishing outputs: NaNs or denormals would time differently."""
    with torch.no_grad():
        y = model(example)
    return {"finite": bool(torch.isfinite(y).all()), "abs_max": float(y.abs().max()), "std": float(y.std())}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json_atomic(path: Path, value: Any) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, indent=1) + "\n")
    os.replace(tmp, path)


def up_to_date(sidecar: Path, onnx_file: Path, pretrained: bool) -> bool:
    """An existing export is kept if it is complete and from this tool version; pretrained weights
    serve a random-weights request too (they are the better file), not the other way round."""
    if not (sidecar.is_file() and onnx_file.is_file()):
        return False
    try:
        meta = json.loads(sidecar.read_text())
    except ValueError:
        return False
    if meta.get("tool_version") != TOOL_VERSION or meta.get("bytes") != onnx_file.stat().st_size:
        return False
    return meta.get("weights") == "pretrained" or not pretrained


def export_one(arch: str, out: Path, pretrained: bool, force: bool) -> dict[str, Any]:
    mid = model_id(arch)
    onnx_file, sidecar = out / f"{mid}.onnx", out / f"{mid}.json"
    if not force and up_to_date(sidecar, onnx_file, pretrained):
        print(f"{mid}: up to date ({onnx_file})", file=sys.stderr)
        return json.loads(sidecar.read_text())

    started = time.perf_counter()
    weights = weights_of(arch)
    prep = preprocessing_of(weights)
    model = build_model(arch, pretrained)
    example = torch.randn(TRACE_BATCH, 3, prep["crop"], prep["crop"], generator=torch.Generator().manual_seed(SEED))
    accounting = param_accounting(model, example)
    check = output_check(model, example)
    if not check["finite"]:
        raise RuntimeError(f"{arch}: the model gives non-finite outputs on a random input; not exported")

    out.mkdir(parents=True, exist_ok=True)
    tmp = onnx_file.with_name(f"{onnx_file.name}.{os.getpid()}.tmp")
    exporter = {
        "function": "torch.onnx.export", "dynamo": False, "opset": OPSET, "do_constant_folding": True,
        "training": "eval", "input_names": [INPUT_NAME], "output_names": [OUTPUT_NAME],
        "dynamic_axes": {INPUT_NAME: {"0": "N"}, OUTPUT_NAME: {"0": "N"}}, "trace_input_shape": list(example.shape),
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice, on every call
            torch.onnx.export(
                model, (example,), str(tmp), dynamo=False, opset_version=OPSET, do_constant_folding=True,
                training=torch.onnx.TrainingMode.EVAL, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}},
            )
        sidecar.unlink(missing_ok=True)  # an old sidecar must never vouch for the new file
        os.replace(tmp, onnx_file)
    finally:
        tmp.unlink(missing_ok=True)

    display, family = names_of(arch)
    meta = {
        "id": mid,
        "tool_version": TOOL_VERSION,
        "file": onnx_file.name,
        "bytes": onnx_file.stat().st_size,
        "sha256": sha256_of(onnx_file),
        "architecture": display,
        "family": family,
        "weights": "pretrained" if pretrained else "random",
        "random_seed": None if pretrained else SEED,
        "source": {"torchvision": arch, "weights": f"{weights.__class__.__name__}.{weights.name}", "weights_url": weights.url},
        "preprocessing": prep,
        "interpolation": interpolation_of(weights),
        "output": {"classes": 1000, "backgroundOffset": 0, "kind": "logits"},
        "input": {"name": INPUT_NAME, "shape": ["N", 3, prep["crop"], prep["crop"]], "dtype": "float32"},
        "published": published_of(weights),
        "param_accounting": {**accounting, "aux_head_params": aux_head_params(arch, weights.meta["num_params"])},
        "output_check": check,
        "shared_initializers": shared_initializers(onnx_file),
        "exporter": exporter,
        "versions": {
            "torch": torch.__version__, "torchvision": torchvision.__version__,
            "onnx": __import__("onnx").__version__, "python": platform.python_version(),
        },
        "export_seconds": round(time.perf_counter() - started, 2),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_json_atomic(sidecar, meta)  # written last: a sidecar means the .onnx beside it is complete
    print(f"{mid}: {meta['weights']} weights, {meta['bytes'] / 1e6:.1f} MB, {meta['export_seconds']} s -> {onnx_file}", file=sys.stderr)
    return meta


def catalog_entry(arch: str) -> dict[str, Any]:
    weights = weights_of(arch)
    display, family = names_of(arch)
    entry: dict[str, Any] = {
        "id": model_id(arch),
        "architecture": display,
        "family": family,
        "precision": "fp32",
        "source": {"torchvision": arch, "weights": f"{weights.__class__.__name__}.{weights.name}"},
        "preprocessing": preprocessing_of(weights),
        "output": {"classes": 1000, "backgroundOffset": 0, "kind": "logits"},
        "published": published_of(weights),
    }
    interpolation = interpolation_of(weights)
    if interpolation != "bilinear":
        entry["caveat"] = (
            f"torchvision evaluates these weights with {interpolation} resizing; a study's resizeFilter "
            "applies to every model (default linear), which can cost a few tenths of a point of top-1."
        )
    return entry


def write_catalog(path: Path) -> None:
    # No timestamps: the file is committed, and regenerating it must give the same bytes.
    doc = {
        "comment": (
            "Generated by tools/export/export_torchvision.py --catalog; do not edit. torchvision architectures "
            f"(torchvision {torchvision.__version__.split('+')[0]}, ONNX opset {OPSET}): the ONNX files are exported into "
            "<DNNBENCH_DATA>/cache/models/<id>.onnx by `npm run export:models -- --arch NAME [--random-weights]`. "
            "published.gmacs is torchvision's 'GFLOPS' (_ops), which counts multiply-adds."
        ),
        "models": [catalog_entry(arch) for arch, _, _ in PAPERS],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, doc)
    print(f"wrote {len(doc['models'])} entries to {path}", file=sys.stderr)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--arch", action="append", metavar="NAME", help="a torchvision classifier (repeatable)")
    what.add_argument("--all", action="store_true", help="every architecture of the papers' list")
    what.add_argument("--catalog", metavar="FILE", type=Path, help="write the papers' catalog entries to FILE and exit")
    what.add_argument("--list", action="store_true", help="print the papers' list and exit")
    p.add_argument("--random-weights", action="store_true", help="random (seeded) weights: no download")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: <DNNBENCH_DATA>/cache/models)")
    p.add_argument("--force", action="store_true", help="export again even if an up-to-date file exists")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.list:
        for arch, display, family in PAPERS:
            print(f"{model_id(arch)}\t{arch}\t{display}\t{family}")
        return 0
    if args.catalog:
        write_catalog(args.catalog)
        return 0
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    archs = [a for a, _, _ in PAPERS] if args.all else args.arch
    known = set(classifier_names())
    unknown = [a for a in archs if a not in known]
    if unknown:
        raise UsageError(f"unknown torchvision classifier(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    out = (args.out or default_out()).resolve()
    started = time.perf_counter()
    for arch in archs:
        export_one(arch, out, pretrained=not args.random_weights, force=args.force)
    print(f"{len(archs)} model(s) in {out} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as err:
        print(f"export_torchvision: {err}", file=sys.stderr)
        sys.exit(2)
