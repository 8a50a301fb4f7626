"""Reference dataset-preparation throughput: Python PIL + numpy, one process per core.

mode full: open, convert RGB, resize the shorter side to S with BILINEAR (long side int(S*long/short)),
centre crop C with offsets round((H-C)/2), into a preallocated uint8 array (what a shard holds);
mode decode: open and convert RGB only (the floor: decoding cost alone).
Each of P processes takes a contiguous share of the files. The caller times the whole command.

usage: bench_prepare_pil.py FILELIST MODE(full|decode) S C PROCESSES
prints one JSON line: {"n": ..., "seconds": ..., "processes": ...}
"""
import json
import multiprocessing as mp
import sys
import time

import numpy as np
from PIL import Image


from torchvision_crop import crop  # noqa: E402  (same folder)


def work(args):
    files, mode, resize, size = args
    if mode == "decode":
        for f in files:
            Image.open(f).convert("RGB").load()
        return len(files)
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for i, f in enumerate(files):
        out[i] = crop(f, resize, size)
    return len(files)


def main():
    listfile, mode, resize, size, processes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    files = [line.strip() for line in open(listfile) if line.strip()]
    t0 = time.perf_counter()
    shares = [files[len(files) * k // processes: len(files) * (k + 1) // processes] for k in range(processes)]
    with mp.get_context("fork").Pool(processes) as pool:
        n = sum(pool.map(work, [(s, mode, resize, size) for s in shares]))
    print(json.dumps({"n": n, "seconds": time.perf_counter() - t0, "processes": processes}))


if __name__ == "__main__":
    main()
