#!/usr/bin/env bash
# lab8-extra.sh - Open MPI on this machine, before lab 8 relies on it (make test runs it).
#
#   mpirun --version; a hello on 2 ranks, on 4 ranks oversubscribed (and
#   without the flag: refused, as lab 8's runner expects); a ping-pong over
#   shared memory (vader) and over TCP loopback (named: it is excluded by
#   default) - each with nothing unexpected on stderr; then the lab program
#   killed with SIGKILL in the middle of a job leaves no mpirun and no rank.
# Without Open MPI it says so and passes (skipped): lab 8 then cannot run.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bin
OUT=$BUILD/lab8-smoke
mkdir -p "$OUT"
failed=0
ok() { printf '  ok    %s\n' "$1"; }
bad() { printf '  FAIL  %s\n' "$1"; [ -s "$OUT/err" ] && sed 's/^/        | /' "$OUT/err" | head -n 20; failed=1; }

if ! grep -q '^HAVE_MPI := 1' "$BUILD/deps.mk" 2>/dev/null || ! command -v mpirun >/dev/null || ! command -v mpicc >/dev/null; then
	echo "lab 8 smoke test SKIPPED: Open MPI is not installed (scripts/deps.sh installs openmpi-bin and libopenmpi-dev)"
	exit 0
fi

# What lab 8's runner sets (and says): root needs --allow-run-as-root.
root=()
[ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
cores=$(nproc)

if mpirun --version >"$OUT/out" 2>"$OUT/err" && grep -q 'Open MPI' "$OUT/out" && [ ! -s "$OUT/err" ]; then
	ok "mpirun --version: $(head -n 1 "$OUT/out")"
else
	bad "mpirun --version"
fi

cat >"$OUT/smoke.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int rank, size;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (argc > 1 && strcmp(argv[1], "pingpong") == 0 && size >= 2 && rank < 2) {
		char b = 'x';
		double t0 = MPI_Wtime();
		for (int i = 0; i < 2000; i++) {
			if (rank == 0) {
				MPI_Send(&b, 1, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
				MPI_Recv(&b, 1, MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			} else {
				MPI_Recv(&b, 1, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
				MPI_Send(&b, 1, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
			}
		}
		if (rank == 0)
			printf("round trip %.2f us\n", (MPI_Wtime() - t0) / 2000 * 1e6);
	} else {
		printf("hello from rank %d of %d\n", rank, size);
	}
	MPI_Finalize();
	return 0;
}
EOF
if mpicc -O2 -o "$OUT/smoke" "$OUT/smoke.c" 2>"$OUT/err"; then
	ok "mpicc builds a hello"
else
	bad "mpicc builds a hello"
	exit 1
fi

run() {   # run NAME EXPECT_LINES_REGEX COUNT mpirun-args...
	local name=$1 pattern=$2 count=$3
	shift 3
	if timeout -k 2 30 mpirun "${root[@]}" "$@" >"$OUT/out" 2>"$OUT/err" &&
		[ "$(grep -c -E "$pattern" "$OUT/out")" -eq "$count" ] && [ ! -s "$OUT/err" ]; then
		ok "$name: $(grep -E "$pattern" "$OUT/out" | tail -n 1)"
	else
		bad "$name (stdout: $(tr '\n' ' ' <"$OUT/out" | cut -c1-200))"
	fi
}

run "hello on 2 ranks" '^hello from rank [01] of 2$' 2 -np 2 "$OUT/smoke"
run "hello on 4 ranks, --oversubscribe" '^hello from rank [0-3] of 4$' 4 --oversubscribe -np 4 "$OUT/smoke"
if [ "$cores" -lt 4 ]; then
	if ! timeout -k 2 30 mpirun "${root[@]}" -np 4 "$OUT/smoke" >"$OUT/out" 2>&1 &&
		grep -q 'not enough slots' "$OUT/out"; then
		ok "4 ranks on $cores cores without --oversubscribe: refused, as the runner expects"
	else
		: >"$OUT/err"
		bad "4 ranks on $cores cores without --oversubscribe were not refused"
	fi
fi
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	run "ping-pong over shared memory (btl self,vader)" '^round trip' 1 \
		--mca pml ob1 --mca btl self,vader -np 2 "$OUT/smoke" pingpong
else
	: >"$OUT/err"
	bad "/dev/shm is missing or not writable: the shared-memory transport (vader) needs it"
fi
run "ping-pong over TCP loopback (btl self,tcp, btl_tcp_if_include lo)" '^round trip' 1 \
	--mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo -np 2 "$OUT/smoke" pingpong

# The lab program killed outright in the middle of a job: mpirun is told
# (parent-death signal) and stops its ranks; the ranks die with mpirun.
prog=$BIN/solution8
if [ -x "$prog" ]; then
	LAB_OUT=$OUT setsid "$prog" --quick --no-plot >"$OUT/kill.log" 2>&1 &
	lab=$!
	# until mpirun has started its ranks (absolute paths: mpirun runs /proc/self/exe)
	for _ in $(seq 1 150); do
		mpi=$(pgrep -x mpirun -P "$lab")
		[ -n "$mpi" ] && [ "$(pgrep -P "$mpi" | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	started=$(pgrep -f "$prog( |\$)" | wc -l)
	kill -KILL "$lab" 2>/dev/null
	wait "$lab" 2>/dev/null
	for _ in $(seq 1 50); do
		[ -z "$(pgrep -f "$prog( |\$)")" ] && [ -z "$mpi" -o ! -d "/proc/$mpi" ] && break
		sleep 0.1
	done
	left=$(pgrep -f "$prog( |\$)" | wc -l)
	[ -n "$mpi" ] && [ -d "/proc/$mpi" ] && left=$((left + 1))
	: >"$OUT/err"
	if [ "$started" -ge 3 ] && [ "$left" -eq 0 ]; then
		ok "solution8 killed with SIGKILL during a job ($started processes: it, mpirun, the ranks): nothing left running"
	else
		pgrep -a -f "$prog( |\$)" >"$OUT/err"
		pkill -KILL -f "$prog( |\$)"
		bad "solution8 killed during a job: $left of its $started processes left running"
	fi
fi

[ -z "$(pgrep -f "$OUT/smoke")" ] || { pgrep -a -f "$OUT/smoke" >"$OUT/err"; bad "smoke ranks left running"; }
[ $failed -eq 0 ] && echo "lab 8 smoke test: Open MPI works here" || echo "lab 8 smoke test FAILED"
exit $failed
