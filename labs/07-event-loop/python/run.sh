#!/bin/sh
# run.sh - lab 7's companion in real Python: asyncio + aiohttp and a thread
# pool on the same transfers as the C lab (make lab7-python).
#
# Runs async_lab.py against a lab server: $LAB_URL if set, else one started
# here (build/bin/labserver on a free port, stopped again however this
# script ends).  Options go to async_lab.py: make lab7-python ARGS=--quick.
# The python used is the first of $PYTHON, python3, /usr/bin/python3 that
# has aiohttp; if none has it, Debian's python3-aiohttp is installed when we
# are root, else the one sudo line is printed.  Without python3: skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root" || exit 1
BUILD=${BUILD:-build}

has_aiohttp() { command -v "$1" >/dev/null 2>&1 && "$1" -c 'import aiohttp' >/dev/null 2>&1; }
find_python() {
	for p in ${PYTHON:-} python3 /usr/bin/python3; do
		if has_aiohttp "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

if ! command -v "${PYTHON:-python3}" >/dev/null 2>&1 && [ ! -x /usr/bin/python3 ]; then
	echo "lab7-python: no python3 here, so there is no asyncio to compare with; skipped."
	exit 0
fi
python=$(find_python)
if [ -z "$python" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "lab7-python: installing Debian's python3-aiohttp (apt-get)..."
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-aiohttp >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-aiohttp >/dev/null 2>&1; }
		python=$(find_python)
	fi
	if [ -z "$python" ]; then
		echo "lab7-python: no python3 with aiohttp here; to install it:"
		echo "  sudo apt-get install -y python3-aiohttp"
		echo "lab7-python: skipped."
		exit 0
	fi
fi

out=${LAB_OUT:-$root/out/lab7}
mkdir -p "$out" || exit 1

. "$root/scripts/companion.sh"
companion_server lab7-python

"$python" "$here/async_lab.py" --url "$url" --out "$out" "$@"
