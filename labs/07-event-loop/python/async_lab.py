#!/usr/bin/env python3
"""async_lab.py - lab 7's companion in real Python (make lab7-python).

The same transfers as the C lab - N GETs of /delay/D from the lab server,
all at once - with the course's two answers in Python:

  1. asyncio + aiohttp: one thread, one event loop, one task per transfer;
  2. a thread pool (concurrent.futures) of urllib requests, N threads up to
     1,000 (past that it says why it stops).

For each: wall time, CPU time, errors, the server's peak of requests in
flight (/stats: the overlap is real), and memory per transfer measured as
the C lab does it - this process's PSS from /proc/self/smaps_rollup in the
middle of the run, minus before, divided by N.  It prints the figures and
writes OUT/python.dat, which the C lab (and tests/lab7-bench.sh) read.
"""
import argparse
import asyncio
import concurrent.futures
import json
import os
import resource
import sys
import threading
import time
import urllib.request

MAX_THREADS = 1000


def pss_kib():
    """This process's PSS in KiB, or None where smaps_rollup is missing."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def stats(url, reset=False):
    """The server's /stats (or /stats/reset); None from a server without them."""
    try:
        with urllib.request.urlopen(url + ("/stats/reset" if reset else "/stats"), timeout=10) as r:
            return json.load(r)
    except Exception:
        return None


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- 1. asyncio + aiohttp ------------------------------------------------------

async def fetch_all_async(aiohttp, url, n, delay):
    mid = {"pss": None}
    running = True

    async def probe():
        # the most this process holds while the transfers run, every 0.1 s
        while running:
            await asyncio.sleep(0.1)
            now = pss_kib()
            if now is not None and (mid["pss"] is None or now > mid["pss"]):
                mid["pss"] = now

    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    errors = 0
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def one():
            try:
                async with session.get(url) as r:
                    await r.read()
                    return r.status == 200
            except Exception:
                return False
        p = asyncio.ensure_future(probe())
        results = await asyncio.gather(*(one() for _ in range(n)))
        running = False
        await p
        errors = sum(1 for ok in results if not ok)
    return errors, mid.get("pss")


def run_async(aiohttp, base, n, delay):
    url = "%s/delay/%g" % (base, delay)
    stats(base, reset=True)
    before = pss_kib()
    t0, c0 = time.perf_counter(), time.process_time()
    errors, mid = asyncio.run(fetch_all_async(aiohttp, url, n, delay))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    st = stats(base)
    per = (mid - before) / n if mid is not None and before is not None else -1
    return dict(model="asyncio", n=n, wall=wall, cpu=cpu, errors=errors,
                peak=st["peak_in_flight"] if st else -1, kib=per)


# --- 2. a thread pool of blocking requests ---------------------------------------

def run_threads(base, n, delay):
    url = "%s/delay/%g" % (base, delay)
    stats(base, reset=True)
    before = pss_kib()
    mid = {"pss": None}
    done = threading.Event()

    def probe():
        while not done.wait(0.1):
            now = pss_kib()
            if now is not None and (mid["pss"] is None or now > mid["pss"]):
                mid["pss"] = now

    def one(_):
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                r.read()
                return r.status == 200
        except Exception:
            return False

    t0, c0 = time.perf_counter(), time.process_time()
    pt = threading.Thread(target=probe)
    pt.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    done.set()
    pt.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    st = stats(base)
    per = (mid["pss"] - before) / n if mid.get("pss") is not None and before is not None else -1
    return dict(model="threads", n=n, wall=wall, cpu=cpu, errors=results.count(False),
                peak=st["peak_in_flight"] if st else -1, kib=per)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--quick", action="store_true", help="100 and 1,000 transfers only")
    args = ap.parse_args()
    try:
        import aiohttp
    except ImportError:
        print("lab7-python: this python (%s) has no aiohttp; skipped." % sys.executable)
        return 0
    limit = raise_nofile()
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    print("Lab 7 in Python %s (aiohttp %s): N x /delay/%g at once, on %d cores"
          % (sys.version.split()[0], aiohttp.__version__, args.delay, os.cpu_count() or 1))
    print("  %-9s %7s %8s %8s %7s %7s %12s" % ("model", "N", "wall s", "CPU s", "errors", "peak",
                                              "KiB/transfer"))
    rows = []
    for n in sizes:
        if n + 64 > limit:
            print("  %-9s %7d  skipped: the descriptor limit is %d" % ("asyncio", n, limit))
            continue
        for model in ("asyncio", "threads"):
            if model == "threads" and n > MAX_THREADS:
                print("  %-9s %7d  skipped: a thread per request past %d (the C lab measures what "
                      "a thread costs)" % (model, n, MAX_THREADS))
                continue
            r = run_async(aiohttp, args.url, n, args.delay) if model == "asyncio" else \
                run_threads(args.url, n, args.delay)
            rows.append(r)
            print("  %-9s %7d %8.3f %8.3f %7d %7d %12.1f" % (r["model"], n, r["wall"], r["cpu"],
                                                           r["errors"], r["peak"], r["kib"]))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "python.dat")
    with open(path, "w") as f:
        f.write("# model n wall_s cpu_s errors peak kib_per_transfer (python %s, aiohttp %s)\n"
                % (sys.version.split()[0], aiohttp.__version__))
        for r in rows:
            f.write("%s %d %.4f %.4f %d %d %.2f\n" % (r["model"], r["n"], r["wall"], r["cpu"],
                                                     r["errors"], r["peak"], r["kib"]))
    print("  (written to %s; the C lab prints these beside its own)" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
