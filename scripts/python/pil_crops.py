"""Reference crops: what the PIL / torchvision pipeline makes of each image, as raw bytes.

For each file: PIL open, convert("RGB"), resize the shorter side to S (long side int(S*long/short))
with FILTER (BILINEAR, BICUBIC or LANCZOS), centre crop C with offsets round((H-C)/2), uint8 RGB HWC;
written back to back to OUT (n * C * C * 3 bytes). FILTER "decode" writes the decoded image without
resizing (its size varies per image).

usage: pil_crops.py FILELIST OUT S C FILTER
"""
import sys

import numpy as np
from PIL import Image


def main():
    listfile, out, resize, size, filt = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    files = [line.strip() for line in open(listfile) if line.strip()]
    with open(out, "wb") as f:
        for path in files:
            img = Image.open(path).convert("RGB")
            if filt != "decode":
                w, h = img.size
                nw, nh = (resize, int(resize * h / w)) if w <= h else (int(resize * w / h), resize)
                img = img.resize((nw, nh), getattr(Image.Resampling, filt))
                left, top = int(round((nw - size) / 2.0)), int(round((nh - size) / 2.0))
                img = img.crop((left, top, left + size, top + size))
            f.write(np.asarray(img, dtype=np.uint8).tobytes())


if __name__ == "__main__":
    main()
