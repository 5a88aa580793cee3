#!/bin/sh
# lab8-bench.sh - lab 8's figures for make bench (issue 14's targets, on 2 cores):
#   8.2 and 8.3 on one rank per core, coarse tasks (2 x cores of 250 ms, lab 3's N
#   and task size): efficiency within 5 % of the process pool's on the same tasks;
#   ping-pong round trip of 1 byte over shared memory and over TCP loopback, beside
#   a pipe's; the granularity break-even (efficiency 0.5) over both.
BUILD=${BUILD:-build}
OUT=${LAB_OUT:-$BUILD/bench-out}/lab8
mkdir -p "$OUT"
json=$OUT/lab8-bench.json
echo
echo "== lab 8: beyond one machine (MPI), 2 x cores tasks of 250 ms (reference solution) =="
LAB_OUT=$OUT timeout -k 5 600 "$BUILD/bin/solution8" --task-ms 250 --no-plot --json "$json" || exit 1
command -v python3 >/dev/null || { echo "(python3 missing: the ratios are in $json)"; exit 0; }
python3 - "$json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = {e["name"]: e for e in d["experiments"]}
p = d["params"]
def eff(prefix):
    for name, e in rows.items():
        if name.startswith(prefix):
            return e.get("efficiency") or 0
    return 0
pool = eff("process pool")
print("\nlab 8 benchmark (%d cores):" % d["cores"])
for what, prefix in (("8.2 static partition", "static partition (8.2)"),
                     ("8.3 master and workers", "master and workers (8.3)")):
    e = eff(prefix)
    ratio = e / pool if pool else 0
    print("  %-24s efficiency %.2f of ideal; %.2f of the pool's %.2f (goal >= 0.95)%s"
          % (what, e, ratio, pool, "" if ratio >= 0.95 else "   <- below the goal"))
print("  uneven tasks: static %.2f, master/workers %.2f of ideal"
      % (eff("static, uneven"), eff("master/workers, uneven")))
print("  1-byte round trip: shared memory %.2f us, TCP loopback %.2f us (%.1fx), a pipe %.2f us"
      % (p["rt_1B_shm_us"], p["rt_1B_tcp_us"], p["rt_1B_tcp_us"] / p["rt_1B_shm_us"],
         p["rt_1B_pipe_us"]))
for t in ("shm", "tcp"):
    v = p.get("break_even_%s_ms" % t, -1)
    print("  break-even over %s: %s" % (t, "tasks of %.3f ms" % v if v > 0 else
          "above every size tried" if v < 0 else "below every size tried"))
print("  a killed rank: mpirun aborted the job %.2f s after the kill" % p["abort_after_kill_s"])
PY
