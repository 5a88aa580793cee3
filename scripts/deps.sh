#!/bin/sh
# deps.sh - find the workbook's dependencies, install what is missing, and
# (with an argument) write the compiler flags they need as a make fragment.
#
#   scripts/deps.sh                 check and install only
#   scripts/deps.sh build/deps.mk   ... then write the flags there
#
# As root it runs `apt-get update` and `apt-get install -y` of exactly what is
# missing.  As anyone else it prints the one sudo line to run, and stops.
set -eu

missing=""
want() { missing="$missing $1"; }

command -v make >/dev/null 2>&1 || want make
command -v cc >/dev/null 2>&1 || { want gcc; want libc6-dev; }
command -v pkg-config >/dev/null 2>&1 || want pkg-config
# Without pkg-config we cannot ask about the libraries yet: assume all are missing
# and let apt-get skip the ones already installed.
if command -v pkg-config >/dev/null 2>&1; then
	pkg-config --exists libcurl || want libcurl4-openssl-dev
	pkg-config --exists libevent || want libevent-dev
	pkg-config --exists criterion || want libcriterion-dev
	pkg-config --exists libcjson || want libcjson-dev
else
	want libcurl4-openssl-dev; want libevent-dev; want libcriterion-dev; want libcjson-dev
fi
command -v gnuplot >/dev/null 2>&1 || want gnuplot-nox
command -v timeout >/dev/null 2>&1 || want coreutils
command -v pgrep >/dev/null 2>&1 || want procps   # the test suite looks for leftover processes
command -v patch >/dev/null 2>&1 || want patch    # the test suite applies the wrong solutions (tests/mutants)
command -v curl >/dev/null 2>&1 || want curl      # a client nobody here wrote, for tests/test_compat.sh
command -v valgrind >/dev/null 2>&1 || want valgrind  # lab 6's bug zoo: helgrind
command -v gdb >/dev/null 2>&1 || want gdb            # lab 6's hang doctor: thread apply all bt
# Lab 8 runs on Open MPI.  A machine that cannot have it still builds every
# other lab: lab 8 then says what is missing (WB_NO_MPI=1 skips it on purpose).
if [ "${WB_NO_MPI:-0}" != 1 ]; then
	command -v mpirun >/dev/null 2>&1 || want openmpi-bin
	if command -v pkg-config >/dev/null 2>&1; then
		pkg-config --exists ompi-c || want libopenmpi-dev
	else
		want libopenmpi-dev
	fi
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing:$missing" >&2
		echo "deps: run this once, then try again:" >&2
		echo "    sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086  # word splitting of the package list is wanted
	apt-get install -y -qq --no-install-recommends $missing >&2
fi

[ $# -ge 1 ] || exit 0
out=$1
mkdir -p "$(dirname "$out")"
{
	echo "# Written by scripts/deps.sh; delete it (or run make clean) to look again."
	echo "CURL_CFLAGS := $(pkg-config --cflags libcurl)"
	echo "CURL_LIBS := $(pkg-config --libs libcurl)"
	echo "EVENT_CFLAGS := $(pkg-config --cflags libevent)"
	echo "EVENT_LIBS := $(pkg-config --libs libevent)"
	echo "CRITERION_CFLAGS := $(pkg-config --cflags criterion)"
	echo "CRITERION_LIBS := $(pkg-config --libs criterion)"
	echo "CJSON_CFLAGS := $(pkg-config --cflags libcjson)"
	echo "CJSON_LIBS := $(pkg-config --libs libcjson)"
	if [ "${WB_NO_MPI:-0}" != 1 ] && pkg-config --exists ompi-c && command -v mpirun >/dev/null 2>&1; then
		echo "HAVE_MPI := 1"
		echo "MPI_CFLAGS := $(pkg-config --cflags ompi-c)"
		echo "MPI_LIBS := $(pkg-config --libs ompi-c)"
	else
		echo "HAVE_MPI :="
	fi
} >"$out.tmp"
mv "$out.tmp" "$out"
