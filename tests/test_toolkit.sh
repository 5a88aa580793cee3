#!/usr/bin/env bash
# test_toolkit.sh - the instructor's toolkit, end to end (make test runs it).
#
# In this tree: make present's questions and pauses, make report's page
# (read back with an HTML parser).  In a handout made by make handout (when
# solutions/ is here): nothing of the answers in it, it builds lab 1 and its
# checker, make watch shows what changed on each save, make grade writes a
# valid Gradescope results.json (a failing, a hung, a crashing-the-checker and
# a non-compiling exercise each score 0 with the reason), make reset puts the
# untouched file back after saving the student's.
# Prints one line per check, then "N passed, N failed"; exits 1 on any failure.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
here=$(pwd -P)
BIN=$here/$BUILD/bin
T=$here/$BUILD/toolkit-test
rm -rf "$T"
mkdir -p "$T"
passed=0
failed=0
check() {   # check NAME STATUS [DETAIL FILE]
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		printf '  PASS  %s\n' "$1"
	else
		failed=$((failed + 1))
		printf '  FAIL  %s\n' "$1"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/        | /' "$3" | tail -n 20
	fi
}
limit() { timeout -k 5 "$@"; }
has_python=0
command -v python3 >/dev/null 2>&1 && has_python=1

# A Gradescope results.json: valid JSON, every test with name, score, max_score, output,
# the total as the sum; then the python expression $2 (d: the document) must hold.
gradescope_ok() {   # gradescope_ok FILE EXPR
	if [ "$has_python" -eq 0 ]; then   # without python3: the shape, by grep
		grep -q '"tests"' "$1" && grep -q '"max_score"' "$1"
		return
	fi
	python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
tests = d["tests"]
assert tests, "no tests"
for t in tests:
    for key in ("name", "score", "max_score", "output"):
        assert key in t, "a test without %s: %r" % (key, t)
    assert 0 <= t["score"] <= t["max_score"], t
assert abs(d["score"] - sum(t["score"] for t in tests)) < 1e-9, "score is not the sum"
assert eval(sys.argv[2], {"d": d, "by": {t["number"]: t for t in tests}}), sys.argv[2]
EOF
}

echo "make present:"
prog=$BIN/solution1
[ -x "$prog" ] || prog=$BIN/lab1
log=$T/present.log
LAB_OUT=$T/out/lab1 limit 120 "$prog" --quick --no-plot --no-pause >"$log" 2>&1 &&
	[ "$(grep -c '^  Question:' "$log")" -eq 3 ] && [ "$(grep -c '^  Predict:' "$log")" -eq 3 ] &&
	grep -q '^  Next: 1.1: one request$' "$log" && ! grep -q 'Enter for the next' "$log" &&
	! grep -q '{requests}' "$log" && grep -q 'requests to /delay/0.1' "$log"
check "--no-pause: lab 1's three experiments, each after its question from questions.txt, settings filled in" $? "$log"
log=$T/present-pause.log
printf '\n\n\n' | LAB_OUT=$T/out/lab1 limit 120 "$prog" --quick --no-plot --present >"$log" 2>&1 &&
	[ "$(grep -c 'Enter for the next' "$log")" -eq 3 ] && grep -q '^Lab 1: .*quick settings' "$log"
check "--present: waits for Enter before each of the three, and runs to its end" $? "$log"
if [ "$prog" = "$BIN/solution1" ]; then
	[ "$(grep -c '^  Measured: .* s wall' "$log")" -eq 3 ]
	check "--present: each experiment's wall and CPU time right after it" $? "$log"
fi

echo "make report:"
# a lab run before results.html existed: its plot alone
mkdir -p "$T/out/lab2"
cp "$T/out/lab1/results.png" "$T/out/lab2/old.png"
log=$T/report.log
scripts/report.sh "$T/out" >"$log" 2>&1
check "scripts/report.sh writes the page" $? "$log"
page=$T/out/index.html
if [ "$has_python" -eq 1 ]; then
	python3 - "$page" >"$T/report-parse.log" 2>&1 <<'EOF'
import html.parser, os, sys
page = sys.argv[1]
class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.sections, self.rows, self.text, self.stack = [], [], {}, "", []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src"))
            assert a.get("alt"), "an image without alt text"
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "tr" and self.sections:
            self.rows[self.sections[-1]] = self.rows.get(self.sections[-1], 0) + 1
        if tag not in ("img", "meta", "br"):
            self.stack.append(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, "</%s> closes <%s>" % (tag, self.stack[-1:] )
        self.stack.pop()
    def handle_data(self, data):
        self.text += data
p = Page()
p.feed(open(page).read())
p.close()
assert not p.stack, "unclosed: %s" % p.stack
missing = [s for s in p.imgs if not os.path.isfile(os.path.join(os.path.dirname(page), s))]
assert not missing, "images named that do not exist: %s" % missing
import glob
out = os.path.dirname(page)
pngs = sorted(os.path.relpath(f, out) for f in glob.glob(os.path.join(out, "lab*", "*.png")))
assert sorted(p.imgs) == pngs, "the page shows %s, the folders hold %s" % (sorted(p.imgs), pngs)
assert p.sections[:2] == ["lab1", "lab2"], p.sections
assert p.rows.get("lab1", 0) >= 4, "lab 1's table: header + 3 rows, got %d" % p.rows.get("lab1", 0)
assert "Quick settings" in p.text and "Measured" in p.text, "no date and settings line"
assert "No results table recorded" in p.text, "lab 2 (plots only) not said to lack its table"
assert "Not run yet" in p.text, "labs not run are not named"
print("page ok: %d images, sections %s" % (len(p.imgs), p.sections))
EOF
	check "out/index.html parses; every image it names exists; every lab run is there, with its table, date, machine" $? "$T/report-parse.log"
else
	grep -q 'id="lab1"' "$page" && grep -q 'id="lab2"' "$page" && grep -q '<table class="results">' "$page"
	check "out/index.html names every lab run (python3 is missing: grep only)" $? "$page"
fi

if [ ! -d solutions ]; then
	echo "  SKIP  make handout, watch, grade, reset: no solutions/ here (a student handout)"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

echo "make handout:"
H=$T/handout
log=$T/handout.log
scripts/handout.sh "$H" >"$log" 2>&1
check "makes a copy" $? "$log"
want=$(git ls-files | grep -v -E '^(solutions|tests/mutants)/' | while read -r f; do [ -e "$f" ] && echo "$f"; done | sort)
got=$(cd "$H" && find . -type f -not -path './.handout/*' -printf '%P\n' | sort)
[ "$want" = "$got" ] && [ ! -e "$H/solutions" ] && [ ! -e "$H/tests/mutants" ] &&
	for d in labs/[0-9][0-9]-*/; do
		[ ! -f "$H/${d}exercises.c" ] || cmp -s "$H/${d}exercises.c" "$H/.handout/${d}exercises.c" || exit 1
	done
check "the copy: exactly the tracked files but solutions/ and tests/mutants/, and a pristine exercises.c per lab" $? "$log"
cp "$H/COURSE.md" "$T/COURSE.md.orig"
sed -n '/^int time_one_request/,/^}/p' solutions/01-sequential/exercises.c >>"$H/COURSE.md"
scripts/handout.sh --check "$H" >"$T/leak.log" 2>&1
[ $? -ne 0 ] && grep -q 'COURSE.md' "$T/leak.log"
check "a reference function body planted in the copy is caught, and named" $? "$T/leak.log"
cp "$T/COURSE.md.orig" "$H/COURSE.md"

cd "$H" || exit 1
# The handout is a tree of its own, with its own build/ (whatever BUILD the suite runs in).
export BUILD=build
unset MAKEFLAGS MFLAGS
log=$T/handout-build.log
limit 300 $MAKE -s -j2 build/bin/check1 build/bin/lab1 build/bin/check2 build/bin/labserver build/bin/gradebook >"$log" 2>&1 &&
	$MAKE -n all >>"$log" 2>&1 && ! $MAKE -n all 2>/dev/null | grep -q 'solutions/'
check "the handout builds lab 1, lab 2's checker and the server, and make all there needs nothing of solutions/" $? "$log"
log=$T/handout-check.log
limit 120 build/bin/check1 --expect-not-done >"$log" 2>&1
check "the handout's checker 1 reports every exercise not done" $? "$log"

echo "make watch (in the handout):"
log=$T/watch.log
ex=labs/01-sequential/exercises.c
( limit 180 $MAKE -s --no-print-directory watch LAB=1 WATCH="--runs 3" >"$log" 2>&1; echo "exit $?" >>"$log" ) &
reports() { grep -c '^Score:' "$log"; }
wait_reports() { for _ in $(seq 600); do [ "$(reports)" -ge "$1" ] && return 0; grep -q '^exit ' "$log" && return 1; sleep 0.1; done; return 1; }
wait_reports 1 && sleep 0.3 && cp "$here/solutions/01-sequential/exercises.c" "$ex" &&
	wait_reports 2 && sleep 0.3 &&
	patch -s "$ex" <"$here/tests/mutants/lab1/15-no-overhead.patch" &&
	wait_reports 3
for _ in $(seq 100); do grep -q '^exit ' "$log" && break; sleep 0.1; done
[ "$(grep -c '(was: not done)' "$log")" -eq 5 ] &&
	grep -q '^  1.5  FAILING .*(was: done)' "$log" && grep -q 'predict_sequential_time:' "$log" &&
	[ "$(grep -c '^  1\.[1-4] ' "$log")" -eq 8 ] && grep -q '^exit 0' "$log"
check "first the whole report, then on each save only what changed: 5 now done, then 1.5 FAILING with its message" $? "$log"

echo "make grade (in the handout):"
log=$T/grade.log
limit 300 $MAKE -s --no-print-directory grade LAB=1 >"$log" 2>&1 &&
	grep -q '^grade: 4/5 exercises done' "$log" &&
	gradescope_ok "$BUILD/grade/results.json" \
		'd["score"] == 4 and len(d["tests"]) == 5 and by["1.5"]["score"] == 0 and "predict_sequential_time" in by["1.5"]["output"]' >>"$log" 2>&1
check "results.json in Gradescope's format: 4 of 5, 1.5 scores 0 with the checker's message" $? "$log"

# 1.1 hangs: stopped by the checker (HUNG, with where it waits), the rest still checked
sed -e 's/^\(int time_one_request.*\)$/#include <unistd.h>\n\1/' -e 's/^\twb_stopwatch_start(&sw);$/\twb_stopwatch_start(\&sw);\n\tfor (;;)\n\t\tpause();/' \
	"$here/solutions/01-sequential/exercises.c" >"$ex"
log=$T/grade-hung.log
GRADE_ARGS="--only 1.1 --hang-after 1" limit 120 $MAKE -s --no-print-directory grade LAB=1 >"$log" 2>&1 &&
	gradescope_ok "$BUILD/grade/results.json" 'by["1.1"]["score"] == 0 and "HUNG" in by["1.1"]["output"] and "waiting" in by["1.1"]["output"]' >>"$log" 2>&1
check "a hung exercise scores 0 with where it waited" $? "$log"
log=$T/grade-killed.log
GRADE_TIMEOUT=2 limit 120 $MAKE -s --no-print-directory grade LAB="1 2" >"$log" 2>&1 &&
	grep -q 'lab 1: the checker was stopped after 2 s' "$log" &&
	gradescope_ok "$BUILD/grade/results.json" 'len(d["tests"]) == 10 and d["score"] == 0 and "not checked" in by["1.5"]["output"] and by["2.1"]["output"].startswith("not done")' >>"$log" 2>&1
check "a checker stopped half-way: its unreached exercises score 0, and the next lab is still graded" $? "$log"
echo '#error broken on purpose' >>"$ex"
log=$T/grade-broken.log
limit 120 $MAKE -s --no-print-directory grade LAB=1 >"$log" 2>&1 &&
	gradescope_ok "$BUILD/grade/results.json" 'd["score"] == 0 and len(d["tests"]) == 5 and "did not build" in by["1.3"]["output"] and "broken on purpose" in by["1.3"]["output"]' >>"$log" 2>&1
check "a file that does not compile: every exercise 0, with the compiler's first error" $? "$log"

echo "make reset (in the handout):"
cp "$ex" "$T/student.c"
log=$T/reset.log
$MAKE -s --no-print-directory reset LAB=1 >"$log" 2>&1
saved=$(sed -n 's/^reset: your file is saved as //p' "$log")
[ -n "$saved" ] && cmp -s "$saved" "$T/student.c" && cmp -s "$ex" .handout/$ex &&
	$MAKE -s --no-print-directory reset LAB=1 2>&1 | grep -q 'already the untouched handout'
check "saves the student's file beside it (and says where), puts the untouched one back" $? "$log"
log=$T/watch-poll.log
touch "$ex"
# its own session, with SIGINT as at a terminal (a background job starts with it ignored)
WB_WATCH_POLL=0.2 setsid env --default-signal=INT scripts/watch.sh 01-sequential >"$log" 2>&1 &
wpid=$!
for _ in $(seq 300); do [ "$(grep -c '^Score:' "$log")" -ge 1 ] && break; sleep 0.1; done
sleep 0.5
touch "$ex"
for _ in $(seq 300); do [ "$(grep -c '^Score:' "$log")" -ge 2 ] && break; sleep 0.1; done
sleep 0.3
kill -INT -- -"$wpid" 2>/dev/null
for _ in $(seq 50); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
left=$(pgrep -g "$wpid" 2>/dev/null)
[ -n "$left" ] && kill -KILL -- -"$wpid" 2>/dev/null
grep -q '^  no change; next:' "$log" && grep -q '^  1.1  not done' "$log" &&
	grep -q '^watch: stopped.$' "$log" && [ -z "$left" ]
check "make watch by polling (no inotify): a save with no change says so and what is next; Ctrl-C stops it, nothing left" $? "$log"
cd "$here" || exit 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
