"""Independent reference for MLPerf LoadGen's Server and SingleStream rules, driving Python onnxruntime.

Written from LoadGen's own sources (loadgen/loadgen.cc, issue_query_controller.cc, results.cc,
early_stopping.cc) so that dnnbench's TypeScript load generator can be cross-checked against a second,
unrelated implementation. Prints ONE JSON line on stdout; errors are one line on stderr and exit code 2.

usage:
  serving_reference.py --scenario server --qps 100 --bound-ms 40 --model M.onnx --samples S.raw \
      --dtype float32 --shape 3,224,224 [--threads 2] [--min-duration 20] [--min-queries N] [--seed 1]
  serving_reference.py --scenario single-stream --model M.onnx --samples S.raw --dtype float32 --shape 3,224,224
  serving_reference.py --scenario server --qps 1000 --bound-ms 10 --null      (harness overhead only)
  serving_reference.py --self-check                                           (early-stopping known values)

Where this departs from LoadGen, on purpose: query k uses sample k mod N (LoadGen draws samples at
random), and SingleStream never "runs out" of pre-generated queries.
"""
import argparse
import bisect
import gc
import json
import math
import os
import queue
import sys
import threading
import time

import numpy as np

# LoadGen hard-codes these in PerformanceSummary::EarlyStopping (results.cc).
ES_CONFIDENCE = 0.99
ES_TOLERANCE = 0.0
# LoadGen's default target_latency_percentile per scenario (test_settings.h).
SERVER_PERCENTILE = 0.99
SINGLE_STREAM_PERCENTILE = 0.90


class UsageError(Exception):
    """A problem with the command line or the input files: reported in one line, exit code 2."""


# ---------------------------------------------------------------------------------------------------
# Early stopping


def binomial_cdf(k, n, q_event):
    """P(X <= k) for X ~ Binomial(n, q_event), as an exact sum evaluated in log space (no scipy)."""
    if q_event <= 0.0:
        return 1.0
    if q_event >= 1.0:
        return 1.0 if k >= n else 0.0
    log_q, log_1mq = math.log(q_event), math.log1p(-q_event)
    lg_n1 = math.lgamma(n + 1)
    terms = [
        lg_n1 - math.lgamma(x + 1) - math.lgamma(n - x + 1) + x * log_q + (n - x) * log_1mq
        for x in range(0, min(k, n) + 1)
    ]
    top = max(terms)
    return math.exp(top) * math.fsum(math.exp(v - top) for v in terms)


def odds_exact(h, t, p, d):
    """Odds of t or fewer overlatency queries among h + t, each overlatency with probability 1 - p + d."""
    return binomial_cdf(t, h + t, 1.0 - (p - d))


def odds_loadgen(h, t, p, d):
    """The same odds through LoadGen's own closed form, BetaRegularized[p - d, h, 1 + t] computed with
    its a=1 hypergeometric series; kept only so --self-check can show both formulas pick the same h."""
    x, a, b = p - d, h, 1 + t
    lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    hb, hc, hx = 1 - b, 1 + a, x / (x - 1)
    term, series, i = 1.0, 1.0, 0
    while abs(term) > 1.0 / (1 << 33):
        term *= (hb + i) * hx / (hc + i)
        series += term
        i += 1
    return math.exp(a * math.log(x) + (b - 1) * math.log(1 - x) - lbeta) / a * series


class MinPassingQueriesFinder:
    """LoadGen's MinPassingQueriesFinder: the least h with odds(h, t) < 1 - c, found by a binary search
    whose bounds are extrapolated from earlier answers. The bounds (and hence the cache, which persists
    across the SingleStream loop) are reproduced exactly, because they decide the answer whenever the
    true minimum would fall outside them."""

    def __init__(self, odds=odds_exact):
        self._odds = odds
        self._caches = {}

    def __call__(self, t, p, d, c):
        keys, values = self._caches.setdefault((p, d, c), ([], {}))
        i = bisect.bisect_left(keys, t)
        if i < len(keys) and keys[i] == t:
            return values[t]
        x0, y0 = -1, 0
        x1, y1 = 0, math.ceil(math.log(1 - c) / math.log(p - d))
        if i > 0:
            i -= 1
            x1, y1 = keys[i], values[keys[i]]
            if i > 0:
                i -= 1
                x0, y0 = keys[i], values[keys[i]]
        min_slope = (p - d) / (1 - p + d)
        # LoadGen multiplies here where a slope would divide; with adjacent cached points (x1 - x0 == 1)
        # it is the same, and on a fresh finder it only widens the search range.
        max_slope = float((y1 - y0) * (x1 - x0))
        min_h = int((t - x1) * min_slope + y1)
        max_h = int((t - x1) * max_slope + y1 + 1)
        h = self._search(min_h, max_h, t, p, d, c)
        bisect.insort(keys, t)
        values[t] = h
        return h

    def _search(self, min_h, max_h, t, p, d, c):
        count = max_h - min_h
        while count > 0:
            step = count // 2
            h = min_h + step
            if self._odds(h, t, p, d) < 1 - c:
                count = step
            else:
                min_h = h + 1
                count -= step + 1
        return min_h


def server_early_stopping(latencies_ns, queries_issued, bound_ns, finder=None):
    """Server rule: with t overlatency queries, pass if queries_issued >= h + t. Returns (ok, h + t, t)."""
    finder = finder or MinPassingQueriesFinder()
    t = sum(1 for v in latencies_ns if v > bound_ns)
    h = finder(t, SERVER_PERCENTILE, ES_TOLERANCE, ES_CONFIDENCE)
    return queries_issued >= h + t, h + t, t


def single_stream_early_stopping(sorted_ns, queries_issued, percentile=SINGLE_STREAM_PERCENTILE, finder=None):
    """SingleStream rule: (ok, queries needed, estimate_ns). The estimate is sorted[n - t], t being the
    largest count of 'overlatency' queries the run could still absorb; None when too few queries."""
    finder = finder or MinPassingQueriesFinder()
    h_min = finder(1, percentile, ES_TOLERANCE, ES_CONFIDENCE)
    if queries_issued < h_min + 1:
        return False, h_min + 1, None
    t = 1
    for i in range(2, queries_issued + 1):
        h = finder(i, percentile, ES_TOLERANCE, ES_CONFIDENCE)
        if queries_issued < h + i:
            t = i - 1
            break
    return True, h_min + 1, sorted_ns[queries_issued - t]


def self_check():
    """Known values of the Server rule (p=0.99, c=0.99), each worked out by hand from the binomial tail:
    with no overlatency query 0.99^459 < 0.01 <= 0.99^458, so 459 queries; 1000 queries absorb two
    overlatency queries but not three. SingleStream (p=0.9): 0.9^64 + 64*0.1*0.9^63 < 0.01 but the same
    for 63 is not, so 64 queries are needed. Also checks that LoadGen's bounded search agrees with a
    plain linear search and that its closed-form odds pick the same h as the exact sum."""
    checks = []

    def check(name, got, want):
        checks.append({"check": name, "got": got, "want": want, "ok": got == want})

    finder = MinPassingQueriesFinder()
    check("server t=0 needs", finder(0, 0.99, 0.0, 0.99), 459)
    check("server 1000 queries, t=2 passes", server_early_stopping([2] * 2 + [0] * 998, 1000, 1)[0], True)
    check("server 1000 queries, t=3 fails", server_early_stopping([2] * 3 + [0] * 997, 1000, 1)[0], False)
    check("single-stream needs", single_stream_early_stopping(list(range(64)), 64)[1], 64)
    check("single-stream 63 queries fail", single_stream_early_stopping(list(range(63)), 63)[0], False)

    def linear_min_h(t, p):
        h = 1
        while odds_exact(h, t, p, 0.0) >= 1 - ES_CONFIDENCE:
            h += 1
        return h

    for t in (0, 1, 2, 3, 5, 10, 25):
        check(f"server bounded search = linear search, t={t}", finder(t, 0.99, 0.0, 0.99), linear_min_h(t, 0.99))
    ss_exact, ss_loadgen = MinPassingQueriesFinder(), MinPassingQueriesFinder(odds_loadgen)
    for t in range(1, 60):
        check(f"single-stream cached search = linear search, t={t}", ss_exact(t, 0.9, 0.0, 0.99), linear_min_h(t, 0.9))
        check(f"single-stream exact odds = LoadGen odds, t={t}", ss_exact(t, 0.9, 0.0, 0.99), ss_loadgen(t, 0.9, 0.0, 0.99))
    fresh_loadgen = MinPassingQueriesFinder(odds_loadgen)
    for t in (0, 1, 2, 3, 7, 20, 50, 100):
        check(f"server exact odds = LoadGen odds, t={t}", MinPassingQueriesFinder()(t, 0.99, 0.0, 0.99),
              fresh_loadgen(t, 0.99, 0.0, 0.99))

    for c in checks:
        print(json.dumps(c))
    failed = [c for c in checks if not c["ok"]]
    print(json.dumps({"self_check": "ok" if not failed else "FAILED", "checks": len(checks), "failed": len(failed)}))
    return 0 if not failed else 1


# ---------------------------------------------------------------------------------------------------
# Query generation and the two scenarios


def server_schedule_ns(qps, min_duration_ns, min_queries, seed):
    """Scheduled offsets (ns, from the start) of every Server query, generated up front as LoadGen's
    GenerateQueries does: the first at 0, then exponential gaps truncated to whole nanoseconds, adding
    queries while the last one is scheduled before min duration or there are fewer than min queries."""
    rng = np.random.default_rng(seed)
    chunk = int(qps * min_duration_ns / 1e9 * 1.2) + min_queries + 64
    offsets = [np.zeros(1, dtype=np.int64)]
    last = 0
    total = 1
    while True:
        gaps = (rng.exponential(1.0 / qps, size=chunk) * 1e9).astype(np.int64)
        part = last + np.cumsum(gaps)
        offsets.append(part)
        total += chunk
        last = int(part[-1])
        if last >= min_duration_ns and total >= min_queries:
            break
    sched = np.concatenate(offsets)
    # Number of queries: one past the first query scheduled at or after min duration, but no fewer
    # than min queries (the loop condition in GenerateQueries).
    first_past = int(np.searchsorted(sched, min_duration_ns, side="left"))
    return sched[: max(first_past + 1, min_queries)]


def run_server(sut, sched_ns):
    """One issuing thread sleeps until each scheduled time and enqueues; one inference thread serves the
    queue in FIFO order. Returns (start, issue, done) as perf_counter_ns values."""
    n = len(sched_ns)
    offsets = sched_ns.tolist()
    issue, done = [0] * n, [0] * n
    work = queue.SimpleQueue()

    def serve():
        while True:
            k = work.get()
            if k is None:
                return
            sut(k)
            done[k] = time.perf_counter_ns()

    worker = threading.Thread(target=serve, name="inference")
    worker.start()
    start = time.perf_counter_ns()
    for k in range(n):
        due = start + offsets[k]
        now = time.perf_counter_ns()
        if now < due:
            time.sleep((due - now) / 1e9)
            now = time.perf_counter_ns()
        issue[k] = now
        work.put(k)
    work.put(None)
    worker.join()
    return start, issue, done


def run_single_stream(sut, min_duration_ns, min_queries):
    """Issue one query, wait for it, repeat; stop once the query just issued was issued at or after min
    duration and min queries have been issued (LoadGen checks after each issue)."""
    issue, done = [], []
    start = time.perf_counter_ns()
    k = 0
    while True:
        t_issue = time.perf_counter_ns()
        sut(k)
        t_done = time.perf_counter_ns()
        issue.append(t_issue)
        done.append(t_done)
        k += 1
        if k >= min_queries and t_issue - start >= min_duration_ns:
            return start, issue, done


# ---------------------------------------------------------------------------------------------------
# System under test


def load_samples(path, dtype, shape):
    """Split a raw little-endian file into one-sample tensors [1, *shape]."""
    np_dtype = np.dtype(np.float16 if dtype == "float16" else np.float32).newbyteorder("<")
    per_sample = int(np.prod(shape))
    size = os.path.getsize(path)
    sample_bytes = per_sample * np_dtype.itemsize
    if size == 0 or size % sample_bytes != 0:
        raise UsageError(f"{path}: {size} bytes is not a whole number of {dtype} samples of shape "
                         f"{','.join(map(str, shape))} ({sample_bytes} bytes each)")
    flat = np.fromfile(path, dtype=np_dtype).astype(np_dtype.newbyteorder("="))
    n = size // sample_bytes
    return [np.ascontiguousarray(flat[i * per_sample:(i + 1) * per_sample].reshape([1, *shape])) for i in range(n)]


def make_sut(args):
    """A callable running query k (sample k mod N) to completion, or the null SUT that returns at once."""
    if args.null:
        return lambda k: None
    import onnxruntime as ort

    samples = load_samples(args.samples, args.dtype, args.shape)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise UsageError(f"{args.model}: expected one input, found {len(inputs)}")
    feeds = [{inputs[0].name: x} for x in samples]
    n = len(feeds)
    run = session.run
    return lambda k: run(None, feeds[k % n])


# ---------------------------------------------------------------------------------------------------
# Statistics and the report


def summarize(args, start, issue, done, sched_ns=None):
    n = len(done)
    if args.scenario == "server":
        scheduled = [start + int(s) for s in sched_ns]
    else:
        # In SingleStream LoadGen sets scheduled_time = issued_start_time = now at issue.
        scheduled = issue
    lat = sorted(d - s for d, s in zip(done, scheduled))
    mean_ns = sum(lat) // n  # LoadGen sums integer nanoseconds and divides with integer truncation

    def pct(p):
        return lat[int(n * p)] / 1e6

    min_duration_ns = round(args.min_duration * 1e9)
    final_done_s = (done[-1] - start) / 1e9
    if args.scenario == "server":
        final_scheduled_ns = int(sched_ns[-1])
        min_duration_met = final_scheduled_ns >= min_duration_ns
        # "Completed samples per second": the final sample's start is the open end of [begin, end).
        achieved = (n - 1) / final_done_s if final_done_s > 0 else None
    else:
        final_issued_ns = issue[-1] - start
        min_duration_met = final_issued_ns >= min_duration_ns
        # "QPS w/ loadgen overhead".
        achieved = (n - 1) / (final_issued_ns / 1e9) if final_issued_ns > 0 else None
    min_queries_met = n >= args.min_queries
    p99 = pct(0.99)

    if args.scenario == "server":
        bound_ns = round(args.bound_ms * 1e6)
        es_ok, needed, overlatency = server_early_stopping(lat, n, bound_ns)
        # LoadGen compares the integer-ns p99 with the integer-ns target latency.
        perf_ok = lat[int(n * SERVER_PERCENTILE)] <= bound_ns
        es_p90 = None
        valid = min_duration_met and min_queries_met and perf_ok and es_ok
    else:
        es_ok, needed, estimate = single_stream_early_stopping(lat, n)
        overlatency = None
        es_p90 = estimate / 1e6 if estimate is not None else None
        valid = min_duration_met and min_queries_met and es_ok

    return {
        "scenario": args.scenario,
        "target_qps": args.qps if args.scenario == "server" else None,
        "queries": n,
        "duration_s": (max(done) - start) / 1e9,
        "achieved_qps": achieved,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": p99,
        "max_ms": lat[-1] / 1e6,
        "mean_ms": mean_ns / 1e6,
        "overlatency": overlatency,
        "early_stopping_ok": es_ok,
        "min_queries_h": needed,
        "min_duration_met": min_duration_met,
        "min_queries_met": min_queries_met,
        "valid": valid,
        "early_stopping_p90_ms": es_p90,
        "issue_delay_mean_ms": sum(i - s for i, s in zip(issue, scheduled)) / n / 1e6,
        "null_sut": args.null,
        "threads": None if args.null else args.threads,
        "seed": args.seed,
    }


# ---------------------------------------------------------------------------------------------------
# Command line


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse_shape(text):
    try:
        dims = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad shape {text!r}: expected e.g. 3,224,224") from None
    if not dims or any(v <= 0 for v in dims):
        raise argparse.ArgumentTypeError(f"bad shape {text!r}: dimensions must be positive")
    return dims


def parse_args(argv):
    ap = OneLineParser(prog="serving_reference.py", description=__doc__.splitlines()[0])
    ap.add_argument("--self-check", action="store_true")
    ap.add_argument("--scenario", choices=["server", "single-stream"])
    ap.add_argument("--model")
    ap.add_argument("--samples")
    ap.add_argument("--dtype", choices=["float32", "float16"], default="float32")
    ap.add_argument("--shape", type=parse_shape)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--qps", type=float)
    ap.add_argument("--min-duration", type=float, default=20.0)
    ap.add_argument("--min-queries", type=int)
    ap.add_argument("--bound-ms", type=float)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--null", action="store_true")
    args = ap.parse_args(argv)
    if args.self_check:
        return args
    if args.scenario is None:
        raise UsageError("--scenario server|single-stream is required")
    if args.min_queries is None:
        args.min_queries = 1000 if args.scenario == "server" else 256
    if args.scenario == "server":
        if args.qps is None or not args.qps > 0:
            raise UsageError("server needs --qps > 0")
        if args.bound_ms is None or not args.bound_ms > 0:
            raise UsageError("server needs --bound-ms > 0")
    if not args.null:
        missing = [f for f in ("model", "samples", "shape") if getattr(args, f) is None]
        if missing:
            raise UsageError("needs " + ", ".join("--" + m for m in missing) + " (or --null)")
        for f in (args.model, args.samples):
            if not os.path.isfile(f):
                raise UsageError(f"no such file: {f}")
    if args.threads < 1 or args.warmup < 0 or args.min_queries < 1 or args.min_duration < 0:
        raise UsageError("--threads and --min-queries must be >= 1, --warmup and --min-duration >= 0")
    return args


def main(argv):
    args = parse_args(argv)
    if args.self_check:
        return self_check()
    sut = make_sut(args)
    for k in range(args.warmup):
        sut(k)
    min_duration_ns = round(args.min_duration * 1e9)
    sched = None
    if args.scenario == "server":
        sched = server_schedule_ns(args.qps, min_duration_ns, args.min_queries, args.seed)
    # A collector pause inside the timed part would show up as latency that is the harness's, not the SUT's.
    gc.collect()
    gc.disable()
    try:
        if args.scenario == "server":
            start, issue, done = run_server(sut, sched)
        else:
            start, issue, done = run_single_stream(sut, min_duration_ns, args.min_queries)
    finally:
        gc.enable()
    print(json.dumps(summarize(args, start, issue, done, sched)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as e:
        print(f"serving_reference.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    except Exception as e:  # onnxruntime and I/O failures: still one line, still exit 2
        print(f"serving_reference.py: error: {type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
        sys.exit(2)
