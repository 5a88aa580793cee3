#!/usr/bin/env bash
# look.sh - look at a running zoo program from outside (make zoo6-gdb, make zoo6-proc).
#
#   look.sh gdb|proc PROGRAM [ARGS...]
#
# Starts PROGRAM, gives it a second to get stuck (or to linger), then:
#   gdb:  gdb -batch -p PID -ex 'thread apply all bt'  (needs ptrace permission)
#   proc: each thread's state, wchan and syscall, its children's states, its descriptors
# and stops it.  Nothing is left running.
set -u
mode=$1 prog=$2
shift 2
"$prog" "$@" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
sleep 1
if ! kill -0 $pid 2>/dev/null; then
	echo "look.sh: $prog already ended: nothing to look at"
	exit 0
fi
case $mode in
gdb)
	echo "== gdb -batch -p $pid -ex 'thread apply all bt'"
	if ! timeout 30 gdb -q -batch -p $pid -ex 'set print thread-events off' \
		-ex 'thread apply all bt' 2>&1 | grep -v '^\[New LWP\|^warning: Could not load\|^\[Thread debugging'; then
		echo "look.sh: gdb failed"
	fi
	if [ -r /proc/sys/kernel/yama/ptrace_scope ] && [ "$(cat /proc/sys/kernel/yama/ptrace_scope)" != 0 ]; then
		echo "(ptrace_scope is $(cat /proc/sys/kernel/yama/ptrace_scope): gdb may attach only to its own"
		echo " descendants here; run the program under gdb instead: gdb -batch -ex run -ex 'thread apply all bt' --args $prog $*)"
	fi
	;;
proc)
	echo "== /proc/$pid/task/*: state, wchan, syscall (number and arguments)"
	for t in /proc/$pid/task/*; do
		printf '  thread %-7s %-10s state %s  wchan %-22s syscall %s\n' "${t##*/}" \
			"$(cat "$t/comm")" "$(awk '{print $3}' "$t/stat")" "$(cat "$t/wchan" 2>/dev/null)" \
			"$(cat "$t/syscall" 2>/dev/null || echo '(not permitted)')"
	done
	echo "== its children (ps --ppid $pid)"
	ps -o pid=,stat=,args= --ppid $pid | sed 's/^/  /'
	echo "== its open descriptors (/proc/$pid/fd)"
	for f in /proc/$pid/fd/*; do printf '  fd %-3s -> %s\n' "${f##*/}" "$(readlink "$f")"; done
	;;
*)
	echo "usage: look.sh gdb|proc PROGRAM [ARGS...]" >&2
	exit 2
	;;
esac
