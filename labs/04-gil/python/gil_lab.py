#!/usr/bin/env python3
"""gil_lab.py - lab 4's experiments in real CPython (make lab4-python).

The C lab simulates CPython's GIL; this script asks the real one the same
questions, with the standard library only:

  1. CPU-bound: two tasks one after another, on two threads, in two processes.
  2. I/O-bound: N fetches of /delay/D from the lab server, by one thread,
     then by N threads (the server's peak of requests in flight proves the
     overlap).
  3. The convoy: round trips over a socketpair to an echo process, alone and
     beside CPU-bound threads, with sys.setswitchinterval at 0.5, 5 and 50 ms;
     and how often two CPU-bound threads hand the GIL over at each interval.

It prints the figures and writes OUT/python.dat, which the C lab reads to
print and plot CPython's figures beside its own.
"""
import argparse
import json
import os
import socket
import statistics
import sys
import threading
import time
import urllib.request

INTERVALS_MS = (0.5, 5, 50)     # the C lab's sweep
ECHO_SERVICE_S = 50e-6          # the echo's time to answer, as in the C lab
DEFAULT_INTERVAL_S = sys.getswitchinterval()


# --- 1. CPU-bound ----------------------------------------------------------

def spin(n):
    """Pure-Python CPU work: n iterations of bytecode, no I/O, no C helpers."""
    x = 0
    for i in range(n):
        x = (x * 31 + i) & 0xFFFFFFFF
    return x


def iterations_for(seconds):
    """Calibrate spin() on this machine: the best of three short runs."""
    n = 200_000
    best = min(timed(spin, n) for _ in range(3))
    return max(1, int(n * seconds / best))


def timed(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def run_sequential(n, tasks):
    for _ in range(tasks):
        spin(n)


def run_threads(n, tasks):
    threads = [threading.Thread(target=spin, args=(n,)) for _ in range(tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_processes(n, tasks):
    """A forked copy of this interpreter per task, each with a GIL of its own."""
    pids = []
    for _ in range(tasks):
        pid = os.fork()
        if pid == 0:
            spin(n)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            sys.exit(f"a worker process failed (wait status {status})")


def cpu_bound(task_ms, figures):
    n = iterations_for(task_ms / 1000)
    print(f"\n1. CPU-bound: 2 tasks of {task_ms:g} ms ({n:,} loop iterations each)")
    seq = timed(run_sequential, n, 2)
    thr = timed(run_threads, n, 2)
    proc = timed(run_processes, n, 2)
    print(f"  sequential        {seq:7.3f} s")
    print(f"  2 threads         {thr:7.3f} s   {thr / seq:.2f}x the sequential time")
    print(f"  2 processes       {proc:7.3f} s   speedup {seq / proc:.2f}x")
    figures.update(cpu_sequential_s=seq, cpu_threads_s=thr, cpu_processes_s=proc)


# --- 2. I/O-bound ----------------------------------------------------------

def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.read()


def peak_in_flight(base, reset):
    stats = json.loads(get(base + ("/stats/reset" if reset else "/stats")))
    return stats["peak_in_flight"]


def fetch_all(urls, threads):
    """Fetch every URL, shared out over `threads` threads."""
    def worker(mine):
        for u in mine:
            get(u)
    pool = [threading.Thread(target=worker, args=(urls[i::threads],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def io_bound(base, requests, delay, figures):
    urls = [f"{base}/delay/{delay:g}"] * requests
    print(f"\n2. I/O-bound: {requests} fetches of /delay/{delay:g}")
    peak_in_flight(base, reset=True)
    one = timed(fetch_all, urls, 1)
    peak_one = peak_in_flight(base, reset=True)
    many = timed(fetch_all, urls, requests)
    peak_many = peak_in_flight(base, reset=False)
    print(f"  1 thread          {one:7.3f} s   peak in flight {peak_one}")
    print(f"  {requests} threads         {many:7.3f} s   peak in flight {peak_many}, "
          f"speedup {one / many:.2f}x: the GIL is let go while a thread waits")
    figures.update(io_sequential_s=one, io_threads_s=many, io_peak_in_flight=peak_many)


# --- 3. The convoy and the switch interval -----------------------------------

def start_echo():
    """An echo server in a child process (forked before any thread exists):
    it has an interpreter and a GIL of its own, so it never waits for ours."""
    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        mine.close()
        while True:
            data = theirs.recv(1)
            if not data:
                os._exit(0)
            end = time.perf_counter() + ECHO_SERVICE_S
            while time.perf_counter() < end:   # the service time
                pass
            theirs.sendall(data)
    theirs.close()
    return mine, pid


def cpu_until(stop):
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x = (x * 31 + i) & 0xFFFFFFFF


def convoy(sock, interval_s, cpu_threads, seconds):
    """Round trips for `seconds` beside `cpu_threads` busy threads: (per second, latencies)."""
    sys.setswitchinterval(interval_s)
    stop = threading.Event()
    busy = [threading.Thread(target=cpu_until, args=(stop,)) for _ in range(cpu_threads)]
    for t in busy:
        t.start()
    latencies = []
    t0 = time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        t1 = time.perf_counter()
        sock.sendall(b"x")
        sock.recv(1)
        latencies.append(time.perf_counter() - t1)
    elapsed = time.perf_counter() - t0
    stop.set()
    for t in busy:
        t.join()
    sys.setswitchinterval(DEFAULT_INTERVAL_S)
    latencies.sort()
    return len(latencies) / elapsed, latencies


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def hand_offs(interval_s, seconds):
    """Two CPU-bound threads; each, at every turn of its loop, checks who ran
    last.  Only the holder of the GIL runs bytecode, so `owner` changes
    exactly when the GIL passes from one thread to the other (the OS taking
    the CPU away from the holder changes nothing).  Returns (hand-offs per
    second, median time one thread held it)."""
    sys.setswitchinterval(interval_s)
    owner = [None]
    switches = []

    def worker(me):
        clock = time.perf_counter
        end = clock() + seconds
        while True:
            now = clock()
            if now >= end:
                break
            if owner[0] != me:
                owner[0] = me
                switches.append(now)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    sys.setswitchinterval(DEFAULT_INTERVAL_S)
    held = [b - a for a, b in zip(switches, switches[1:])]
    return max(0, len(switches) - 1) / elapsed, statistics.median(held) if held else 0.0


def convoy_and_sweep(convoy_s, book_s, figures):
    sock, echo = start_echo()
    try:
        print(f"\n3. The convoy: round trips to an echo process "
              f"(it answers after {ECHO_SERVICE_S * 1e6:.0f} us), sendall + recv each")
        per_s, lat = convoy(sock, DEFAULT_INTERVAL_S, 0, convoy_s / 3)
        print(f"  alone             {per_s:8.0f} round trips/s, median "
              f"{statistics.median(lat) * 1e3:.3f} ms")
        figures.update(convoy_alone_per_s=per_s)
        per_s, lat = convoy(sock, DEFAULT_INTERVAL_S, 2, max(convoy_s, 20 * DEFAULT_INTERVAL_S))
        print(f"  + 2 CPU threads   {per_s:8.0f} round trips/s, median "
              f"{statistics.median(lat) * 1e3:.2f} ms, p99 {percentile(lat, 0.99) * 1e3:.2f} ms")
        figures.update(convoy_2cpu_per_s=per_s, convoy_2cpu_p99_ms=percentile(lat, 0.99) * 1e3)
        print("\n4. The switch interval: the convoy beside one CPU thread, and two CPU threads")
        print(f"  {'interval':>8} {'trips/s':>9} {'median ms':>10} {'p99 ms':>9} "
              f"{'hand-offs/s':>12} {'slice ms':>9}")
        rows = []
        for ms in INTERVALS_MS:
            iv = ms / 1000
            per_s, lat = convoy(sock, iv, 1, max(convoy_s, 20 * iv))
            handoffs, slice_s = hand_offs(iv, max(book_s, 20 * iv))
            row = (ms, per_s, statistics.median(lat) * 1e3, percentile(lat, 0.99) * 1e3,
                   handoffs, slice_s * 1e3)
            rows.append(row)
            print("  {:>6g} ms {:9.0f} {:10.3f} {:9.3f} {:12.0f} {:9.3f}".format(*row))
        return rows
    finally:
        sock.close()        # the echo reads end-of-file and leaves
        os.waitpid(echo, 0)


# --- Output ----------------------------------------------------------------

def write_dat(path, figures, rows):
    with open(path, "w") as f:
        f.write("# lab 4 in real CPython (make lab4-python): figures the C lab prints beside its own\n")
        f.write(f"#: python {sys.version.split()[0]}\n")
        for key, value in figures.items():
            f.write(f"#: {key} {value:.6g}\n")
        f.write("# interval_ms round_trips_per_s median_ms p99_ms handoffs_per_s slice_ms\n")
        f.write("#   (round trips beside one CPU thread; hand-offs between two CPU threads)\n")
        for row in rows:
            f.write("{:g} {:.3f} {:.4f} {:.4f} {:.3f} {:.4f}\n".format(*row))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="the lab server's base URL")
    ap.add_argument("--out", required=True, help="folder for python.dat")
    ap.add_argument("--quick", action="store_true", help="small, fast settings")
    ap.add_argument("--task-ms", type=float, help="CPU time of one task (default 500, quick 100)")
    ap.add_argument("--requests", type=int, help="fetches (default 8, quick 4)")
    ap.add_argument("--delay", type=float, help="server delay per fetch (default 0.25, quick 0.1)")
    args = ap.parse_args()
    task_ms = args.task_ms or (100 if args.quick else 500)
    requests = args.requests or (4 if args.quick else 8)
    delay = args.delay if args.delay is not None else (0.1 if args.quick else 0.25)
    convoy_s, book_s = (0.4, 0.2) if args.quick else (1.0, 0.5)

    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"Lab 4 in real CPython {sys.version.split()[0]}  ({os.cpu_count()} cores; "
          f"{'with a GIL' if gil else 'free-threaded: no GIL'}; switch interval "
          f"{DEFAULT_INTERVAL_S * 1e3:g} ms)")
    print(f"server: {args.url}")
    figures = {}
    cpu_bound(task_ms, figures)
    io_bound(args.url.rstrip("/"), requests, delay, figures)
    rows = convoy_and_sweep(convoy_s, book_s, figures)
    if args.quick:
        # A fraction of a second per figure is too short for CPython's switching
        # to settle (one run gave 2897 round trips/s at 5 ms, against some 180 in a
        # full run): these figures are for a quick look only, never for comparing.
        path = os.path.join(args.out, "python-quick.dat")
        write_dat(path, figures, rows)
        print(f"\n  figures: {path}\n  (--quick runs are too short to compare with the "
              f"simulation: the lab shows only a full run's figures, from make lab4-python)")
        return
    path = os.path.join(args.out, "python.dat")
    write_dat(path, figures, rows)
    print(f"\n  figures: {path} (run the lab again to see them beside the simulation's)")


if __name__ == "__main__":
    main()
