"""Why does the kit's squeezenet1.0_tflite score so low? Every preprocessing and label-mapping
variant below on the kit's val_227 (or val_orig) images, plus graph variants written by
scripts/investigate-squeezenet-tflite.ts, with PIL + Python onnxruntime only (no dnnbench code).

usage: squeezenet_tflite_variants.py --kit KIT --baseline MODEL [--variant NAME=FILE ...] [--set val_227]
prints a markdown table: variant, top-1, top-5 (percent).
"""
import argparse
import json
import os

import numpy as np
import onnxruntime as ort
from PIL import Image


def pil_resize(a, w, h):
    return np.asarray(Image.fromarray(a.astype(np.uint8)).resize((w, h), Image.BILINEAR), dtype=np.float32)


def spec_crop(a, resize=256, size=224):
    """SPEC.md §2: shorter side to 256 with PIL BILINEAR, centre crop 224 (offsets rounded)."""
    h, w, _ = a.shape
    nw, nh = (resize, int(resize * h / w)) if w <= h else (int(resize * w / h), resize)
    r = pil_resize(a, nw, nh)
    l, t = int(round((nw - size) / 2)), int(round((nh - size) / 2))
    return r[t:t + size, l:l + size]


def tf_bilinear(a, oh, ow, half_pixel):
    """tf.image.resize bilinear without antialiasing: TF1 (corner-aligned grid) or TF2 (half-pixel centres)."""
    h, w, _ = a.shape
    if half_pixel:
        ys = np.clip((np.arange(oh) + 0.5) * h / oh - 0.5, 0, h - 1)
        xs = np.clip((np.arange(ow) + 0.5) * w / ow - 0.5, 0, w - 1)
    else:
        ys, xs = np.arange(oh) * h / oh, np.arange(ow) * w / ow
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    dy, dx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = a[y0][:, x0] * (1 - dx) + a[y0][:, x1] * dx
    bot = a[y1][:, x0] * (1 - dx) + a[y1][:, x1] * dx
    return top * (1 - dy) + bot * dy


def central_crop(a, frac):
    """tf.image.central_crop."""
    h, w, _ = a.shape
    sh, sw = int((h - h * frac) / 2), int((w - w * frac) / 2)
    return a[sh:h - sh, sw:w - sw]


SPATIAL = {
    "spec: PIL bilinear shorter side 256, centre crop 224": spec_crop,
    "inception eval: central_crop 0.875, TF1 bilinear to 224": lambda a: tf_bilinear(central_crop(a, 0.875), 224, 224, False),
    "inception eval: central_crop 0.875, TF2 bilinear to 224": lambda a: tf_bilinear(central_crop(a, 0.875), 224, 224, True),
    "squash whole image to 224 (PIL bilinear)": lambda a: pil_resize(a, 224, 224),
    "centre crop 224, no resize": lambda a: a[(a.shape[0] - 224) // 2:][:224, (a.shape[1] - 224) // 2:][:, :224],
}
SCALES = {
    "[-1,1] RGB": lambda x: x / 127.5 - 1,
    "[-1,1] BGR": lambda x: x[..., ::-1] / 127.5 - 1,
    "[0,1] RGB": lambda x: x / 255,
    "0..255 minus VGG mean, RGB": lambda x: x - np.array([123.68, 116.78, 103.94]),
    "torchvision mean/std": lambda x: (x / 255 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225]),
}


def evaluate(model, x_nhwc, labels, offset=1, transpose_hw=False):
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.ascontiguousarray(x_nhwc.transpose(0, 3, 2, 1) if transpose_hw else x_nhwc.transpose(0, 3, 1, 2), dtype=np.float32)
    scores = np.concatenate([sess.run(None, {name: x[s:s + 64]})[0].reshape(len(x[s:s + 64]), -1) for s in range(0, len(x), 64)])
    top = np.argsort(-scores[:, offset:offset + 1000], axis=1, kind="stable")[:, :5]
    return 100 * np.mean(top[:, 0] == labels), 100 * np.mean([l in t for l, t in zip(labels, top)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kit", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--set", default="val_227")
    a = ap.parse_args()
    manifest = json.load(open(os.path.join(a.kit, "manifest.json")))
    images = sorted((os.path.join(a.kit, i["file"]), i["class_index"]) for i in manifest["images"]["list"] if i["file"].startswith(f"images/{a.set}/"))
    labels = np.array([l for _, l in images])
    raw = [np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) for f, _ in images]
    print(f"{a.set}: {len(images)} images\n")
    print("| variant | top-1 | top-5 |\n|---|---|---|")
    row = lambda name, r: print(f"| {name} | {r[0]:.2f} | {r[1]:.2f} |", flush=True)
    spec = np.stack([spec_crop(x) for x in raw])
    for sname, f in SPATIAL.items():
        x = spec if sname.startswith("spec") else np.stack([f(r) for r in raw])
        row(f"{sname}; [-1,1] RGB", evaluate(a.baseline, SCALES["[-1,1] RGB"](x), labels))
    for name, f in list(SCALES.items())[1:]:
        row(f"spec crop; {name}", evaluate(a.baseline, f(spec), labels))
    row("spec crop; [-1,1] RGB; class = argmax (no background offset)", evaluate(a.baseline, SCALES["[-1,1] RGB"](spec), labels, offset=0))
    row("spec crop; [-1,1] RGB; image transposed (= kernels' H and W swapped)", evaluate(a.baseline, SCALES["[-1,1] RGB"](spec), labels, transpose_hw=True))
    for v in a.variant:
        name, path = v.split("=", 1)
        row(f"graph: {name}; spec crop, [-1,1] RGB", evaluate(path, SCALES["[-1,1] RGB"](spec), labels))


if __name__ == "__main__":
    main()
