#!/usr/bin/env bash
# lab6-extra.sh - lab 6's bug zoo, checked with the tools it names (make test runs it).
#
# Each line says what it checks; the script exits 1 if any fails.  What the
# chapter claims about the tools is proved here on this machine's Debian
# packages: ThreadSanitizer names the race and the lock-order inversion (on a
# run that does not hang) and the unjoined thread; helgrind names the race and
# the lock order, DRD no lock order; the race loses updates at -O0 but not
# at -O2; gdb in batch mode shows both clerks stuck in transfer; the make
# targets students type work and leave nothing running.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
Z=$BUILD/bin/zoo
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok    $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL  $1"; [ -n "${2:-}" ] && sed 's/^/        | /' "$2" | tail -n 15; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

$MAKE -s BUILD="$BUILD" zoo6 >"$t/build" 2>&1 || { bad "the zoo builds (make zoo6)" "$t/build"; exit 1; }
ok "the zoo builds, each program native, -O0, TSan and ASan (make zoo6)"

lost=0
for i in 1 2 3; do "$Z/tally-O0" >"$t/o0" 2>&1 || { lost=1; break; }; done
[ $lost = 1 ] && ok "tally at -O0 loses updates ($(awk '{print $3}' "$t/o0" | tr -d ,) of $(awk '{print $5}' "$t/o0" | tr -d :,) counted)" || bad "tally at -O0 loses updates" "$t/o0"
"$Z/tally" >"$t/o2" 2>&1 && ok "tally at -O2 loses none (the compiler folded the loop: the race is still there)" || bad "tally at -O2 is right" "$t/o2"

"$Z/tally-tsan" 2 20000 >"$t/ts" 2>&1
grep -q 'SUMMARY: ThreadSanitizer: data race .*tally.c:25' "$t/ts" && ok "ThreadSanitizer: data race at tally.c:25" || bad "ThreadSanitizer finds tally's race" "$t/ts"
${CC:-cc} -std=c11 -pthread -D_GNU_SOURCE -g -O2 -fsanitize=thread labs/06-timeouts/zoo/tally.c -o "$t/tally-O2-tsan" 2>"$t/cc" &&
	"$t/tally-O2-tsan" 2 20000 >"$t/ts2" 2>&1
grep -q 'SUMMARY: ThreadSanitizer: data race' "$t/ts2" && ok "ThreadSanitizer on the -O2 build too, whose total is right: $(grep -o 'tally.c:[0-9]*' "$t/ts2" | tail -n 1)" || bad "ThreadSanitizer finds the race at -O2" "$t/ts2"
timeout 30 "$Z/accounts-tsan" >"$t/ta" 2>&1
[ $? -ne 124 ] && grep -q 'SUMMARY: ThreadSanitizer: lock-order-inversion' "$t/ta" && ok "ThreadSanitizer: lock-order inversion in accounts, on a run that ended" || bad "ThreadSanitizer finds accounts' lock order" "$t/ta"
"$Z/spawner-tsan" >"$t/tp" 2>&1
grep -q 'SUMMARY: ThreadSanitizer: thread leak .*spawner.c:28' "$t/tp" && ok "ThreadSanitizer: thread leak at spawner.c:28" || bad "ThreadSanitizer finds spawner's thread" "$t/tp"
"$Z/settings-tsan" 0.3 >"$t/tt" 2>&1
! grep -q 'ThreadSanitizer:' "$t/tt" && ok "ThreadSanitizer: nothing on settings (no tool sees starvation)" || bad "ThreadSanitizer is silent on settings" "$t/tt"
"$Z/settings" 0.5 >"$t/st" 2>&1
[ $? -eq 1 ] && grep -q 'gave up' "$t/st" && ok "settings: the writer never gets the lock ($(grep -o 'after [0-9.]* s' "$t/st"))" || bad "settings starves its writer" "$t/st"

if command -v valgrind >/dev/null; then
	timeout 120 valgrind --tool=helgrind "$Z/tally-O0" 2 20000 >"$t/hg" 2>&1
	grep -q 'Possible data race' "$t/hg" && grep -q 'tally.c:25' "$t/hg" && ok "helgrind: possible data race at tally.c:25" || bad "helgrind finds tally's race" "$t/hg"
	timeout 120 valgrind --tool=helgrind "$Z/accounts-O0" >"$t/ha" 2>&1
	grep -q 'lock order' "$t/ha" && ok "helgrind: lock order violated in accounts" || bad "helgrind finds accounts' lock order" "$t/ha"
	timeout 120 valgrind --tool=drd "$Z/accounts-O0" >"$t/da" 2>&1
	grep -q 'ERROR SUMMARY: 0 errors' "$t/da" && ok "DRD: no lock-order report on accounts (it has no such check)" || bad "DRD is silent on accounts" "$t/da"
else
	bad "valgrind is installed (scripts/deps.sh installs it)"
fi

# gdb from outside, as make zoo6-gdb does it
if command -v gdb >/dev/null; then
	timeout 60 $MAKE -s BUILD="$BUILD" zoo6-gdb PROG=accounts ARGS=--hang >"$t/gdb" 2>&1
	n=$(grep -c 'in transfer .*accounts.c:33' "$t/gdb")
	if [ "$n" -eq 2 ]; then
		ok "make zoo6-gdb PROG=accounts ARGS=--hang: both clerks in transfer at accounts.c:33"
	elif grep -q -i 'ptrace\|not permitted' "$t/gdb"; then
		ok "make zoo6-gdb: ptrace is not permitted here, and it says so (what to do instead)"
	else
		bad "make zoo6-gdb shows both clerks in transfer" "$t/gdb"
	fi
else
	bad "gdb is installed (scripts/deps.sh installs it)"
fi
timeout 60 $MAKE -s BUILD="$BUILD" zoo6-proc PROG=spawner ARGS=3 >"$t/proc" 2>&1
grep -q ' Z ' "$t/proc" && grep -q 'fd 3 .*/dev/null' "$t/proc" && ok "make zoo6-proc PROG=spawner: its zombie child and its open fd 3" || bad "make zoo6-proc shows the zombie and the fd" "$t/proc"
# A lost wake-up needs its moment; POSIX allows a spurious wake-up that hides
# it, which glibc's condition variable gives now and then: up to 3 runs.
for attempt in 1 2 3; do
	timeout 60 $MAKE -s BUILD="$BUILD" zoo6-proc PROG=mailbox >"$t/mb" 2>&1
	grep -q 'futex' "$t/mb" && break
done
grep -q 'futex' "$t/mb" && ok "make zoo6-proc PROG=mailbox: a reader asleep in futex after the close" || bad "make zoo6-proc shows mailbox's reader" "$t/mb"

sleep 0.3
left=$(pgrep -f "^$Z/" | wc -l)
[ "$left" -eq 0 ] && ok "no zoo program left running" || { bad "no zoo program left running ($left left)"; pkill -KILL -f "^$Z/"; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
