"""Reference latency: Python onnxruntime on the same model, the same input bytes, the same threads
and the same timing rules as dnnbench's measureLatency. Prints one JSON line with p50_ms and runs.

usage: time_onnxruntime.py MODEL INPUT.raw DTYPE SHAPE(comma) THREADS WARMUP_RUNS WARMUP_S MIN_RUNS MIN_S
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

model, raw, dtype, shape, threads, wr, ws, mr, ms = sys.argv[1:10]
x = np.fromfile(raw, dtype=np.float16 if dtype == "float16" else np.float32).reshape([int(d) for d in shape.split(",")])
opts = ort.SessionOptions()
opts.intra_op_num_threads = int(threads)
opts.inter_op_num_threads = 1
opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
feeds = {sess.get_inputs()[0].name: x}
start, i = time.perf_counter(), 0
while i < int(wr) or time.perf_counter() - start < float(ws):
    sess.run(None, feeds)
    i += 1
samples, start = [], time.perf_counter()
while len(samples) < int(mr) or time.perf_counter() - start < float(ms):
    t0 = time.perf_counter_ns()
    sess.run(None, feeds)
    samples.append((time.perf_counter_ns() - t0) / 1e6)
print(json.dumps({"p50_ms": float(np.percentile(samples, 50)), "runs": len(samples)}))
