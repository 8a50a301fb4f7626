"""Independent top-1/top-5 reference: Python onnxruntime + PIL, no dnnbench code.

Preprocessing as SPEC.md section 2 and torchvision's eval transform: PIL open, convert RGB,
resize the shorter side to S with BILINEAR (long side int(S*long/short)), centre crop with
offsets round((H-C)/2), then scale, mean/std, channel order and layout from the model's entry.
Ties between scores go to the lower class index (stable sort), like numpy's argmax.

usage: reference_accuracy.py --kit KIT --model FILE --preprocessing JSON --output JSON [--set val_227] [--limit N]
prints one JSON line: {"n": ..., "top1": ..., "top5": ...}
"""
import argparse
import json
import os

import numpy as np
import onnxruntime as ort


from torchvision_crop import crop  # noqa: E402  (same folder)


def normalise(x, p, dtype=np.float32):
    """uint8 RGB crops [N,H,W,3] → the model's input: channel order, (x*scale - mean)/std in float32, layout."""
    x = x.astype(np.float32)
    scale = 1 / 255 if p["scale"] == "unit" else 1.0
    mean = np.array(p["mean"], dtype=np.float32)
    std = np.array(p["std"], dtype=np.float32)
    if p["channelOrder"] == "BGR":
        x = x[..., ::-1]
    x = (x * scale - mean) / std
    if p["layout"] == "NCHW":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x, dtype=dtype)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kit", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--preprocessing", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--set", default="val_227")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    p = json.loads(a.preprocessing)
    out = json.loads(a.output)
    manifest = json.load(open(os.path.join(a.kit, "manifest.json")))
    images = sorted(
        (os.path.basename(i["file"]).rsplit(".", 1)[0], os.path.join(a.kit, i["file"]), i["class_index"])
        for i in manifest["images"]["list"]
        if i["split"] == "val" and (a.set == "all" or i["file"].startswith(f"images/{a.set}/"))
    )
    if a.limit:
        images = images[: a.limit]

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    sess = ort.InferenceSession(a.model, opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    fixed = inp.shape[0] if isinstance(inp.shape[0], int) else None
    batch = fixed or 32
    dtype = np.float16 if inp.type == "tensor(float16)" else np.float32
    classes, offset = out["classes"], out["backgroundOffset"]

    n = c1 = c5 = 0
    for s in range(0, len(images), batch):
        chunk = images[s : s + batch]
        x = normalise(np.stack([crop(f, p["resize"], p["crop"]) for _, f, _ in chunk]), p, dtype)
        scores = sess.run(None, {inp.name: x})[0].reshape(len(chunk), classes).astype(np.float32)[:, offset:]
        top5 = np.argsort(-scores, axis=1, kind="stable")[:, :5]
        for (_, _, label), t in zip(chunk, top5):
            n += 1
            c1 += int(t[0] == label)
            c5 += int(label in t)
    print(json.dumps({"n": n, "top1": c1 / n, "top5": c5 / n}))


if __name__ == "__main__":
    main()
