#!/usr/bin/env bash
# handout.sh - the workbook for students, without the answers (make handout DEST=dir).
#
#   scripts/handout.sh DEST           make the handout
#   scripts/handout.sh --check DEST   only the proof, on a handout made before
#
# Copies the files git tracks (so nothing built, measured or half-written
# comes along), except solutions/ and tests/mutants/ (the wrong solutions are
# patches of the right ones).  Keeps a pristine copy of every lab's
# exercises.c under DEST/.handout/, for make reset there.  Then proves that no
# line of the reference solutions' code made it into the copy.
#
# The copy builds, runs every lab and checks every exercise; its make test
# skips the steps that need solutions/, and says so.
set -u
die() { echo "handout: $*" >&2; exit 1; }
check_only=0
if [ "${1:-}" = --check ]; then
	check_only=1
	shift
fi
DEST=${1:-}
here=$(pwd -P)

# ---- The proof: nothing of the answers is in the copy ------------------------
prove() {
	[ ! -e "$DEST/solutions" ] || die "solutions/ was copied"
	[ ! -e "$DEST/tests/mutants" ] || die "tests/mutants/ was copied"

	# A few lines of a function body of a reference solution that its handout does
	# not have, found in a file of the copy (scripts/leaks.awk says how), fail the
	# handout, but in the files scripts/handout-allow.txt names, with the reason.
	allow=scripts/handout-allow.txt
	leaks=$(cd "$DEST" && find . -type f -not -path './.handout/*' -not -path './build/*' -not -path './out/*' -printf '%P\0' |
		xargs -0 awk -f "$here/scripts/leaks.awk" phase=0 "$here"/labs/[0-9][0-9]-*/exercises.c \
			phase=1 "$here"/solutions/[0-9][0-9]-*/exercises.c phase=2)
	allowed=0
	bad=""
	while IFS= read -r leak; do
		[ -n "$leak" ] || continue
		file=${leak%%:*}
		why=$(awk -v f="$file" '$1 == f { $1 = ""; sub(/^ +/, ""); print; exit }' "$allow" 2>/dev/null)
		if [ -n "$why" ]; then
			allowed=$((allowed + 1))
		else
			bad="$bad    ${leak//"$here"\//}"$'\n'
		fi
	done <<<"$leaks"
	if [ -n "$bad" ]; then
		printf 'handout: code of the reference solutions is in the copy:\n%s' "$bad" >&2
		die "not a handout: take it out (or name the file, with why, in $allow), then make it again"
	fi

}

if [ "$check_only" -eq 1 ]; then
	[ -d "$DEST" ] || die "no handout at $DEST"
	prove
	echo "handout: $DEST: no solutions/, no mutants, no function body of the reference solutions ($allowed shared on purpose: $allow)."
	exit 0
fi

[ -n "$DEST" ] || die "where to? make handout DEST=dir"
[ -d solutions ] || die "there is no solutions/ here: this already is a handout"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	die "make handout copies the files git tracks: run it in the workbook's git repository"
if [ -e "$DEST" ] && [ -n "$(ls -A "$DEST" 2>/dev/null)" ]; then
	die "$DEST exists and is not empty: give a new directory (or remove it first)"
fi
mkdir -p "$DEST" || die "cannot make $DEST"
dest_abs=$(cd "$DEST" && pwd -P)
case "$here/" in "$dest_abs"/*) die "$DEST would contain the workbook itself";; esac

# What students get: every tracked file that still exists, but the answers.
keep() { grep -z -v -E '^(solutions|tests/mutants)/'; }
keep_lines() { grep -v -E '^(solutions|tests/mutants)/'; }
count=0
while IFS= read -r -d '' f; do
	[ -e "$f" ] || continue   # deleted in the working tree, not yet in git
	cp -p --parents -- "$f" "$DEST"/ || die "cannot copy $f"
	count=$((count + 1))
done < <(git ls-files -z | keep)

# Files git does not know yet are not in the handout: say so (git add them first).
untracked=$(git ls-files --others --exclude-standard -- labs tests common scripts plots Makefile COURSE.md README.md | keep_lines)
if [ -n "$untracked" ]; then
	echo "handout: not in the copy, as git does not track them yet ($(echo "$untracked" | wc -l) files; git add them first):" >&2
	echo "$untracked" | head -n 8 | sed 's/^/    /' >&2
fi

# Pristine exercises for make reset (a handout has no git history to ask).
labs=()
for dir in labs/[0-9][0-9]-*/; do
	dir=${dir%/}
	[ -f "$DEST/$dir/exercises.c" ] || continue
	mkdir -p "$DEST/.handout/$dir"
	cp -p "$DEST/$dir/exercises.c" "$DEST/.handout/$dir/exercises.c"
	labs+=("${dir#labs/}")
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=""
git diff --quiet HEAD 2>/dev/null || dirty=" (with changes not yet committed)"
cat >"$DEST/.handout/README" <<EOF
Made by make handout on $(date '+%Y-%m-%d %H:%M %Z') from commit $commit$dirty.
.handout/labs/NN-name/exercises.c are the untouched exercises: make reset LAB=N puts one back.
EOF

prove
echo "handout: $DEST: $count files, ${#labs[@]} labs (${labs[*]}), no solutions/, no mutants;"
echo "         no function body of the reference solutions in it ($allowed shared on purpose: $allow)."
echo "         Students: cd $DEST && make labN / make checkN / make watch LAB=N / make reset LAB=N"
