"""The eval crop of SPEC.md section 2 / torchvision, with PIL: shared by the reference scripts.

Open, convert RGB, resize the shorter side to `resize` with BILINEAR (long side int(S*long/short)),
centre crop `size` with offsets round((H-C)/2). Returns uint8 HWC."""
import numpy as np
from PIL import Image


def crop(path, resize, size):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = resize, int(resize * h / w)
    else:
        nw, nh = int(resize * w / h), resize
    img = img.resize((nw, nh), Image.BILINEAR)
    left, top = int(round((nw - size) / 2.0)), int(round((nh - size) / 2.0))
    return np.asarray(img.crop((left, top, left + size, top + size)), dtype=np.uint8)
