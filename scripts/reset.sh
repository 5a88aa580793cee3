#!/usr/bin/env bash
# reset.sh - put back the untouched exercises.c of one lab (make reset LAB=N).
#
#   scripts/reset.sh NN-name
#
# Your file is first saved beside it, as exercises.c.saved-DATE-TIME (never
# overwritten), and the script says where.  The untouched file comes from
# .handout/ in a handout made by make handout, else from git (HEAD).
set -u
dir=${1:?usage: reset.sh NN-name}
file=labs/$dir/exercises.c
n=${dir%%-*}
n=${n#0}
die() { echo "reset: $*" >&2; exit 1; }
[ -d "labs/$dir" ] || die "no lab labs/$dir"

pristine=$(mktemp)
trap 'rm -f "$pristine"' EXIT
if [ -f ".handout/$file" ]; then
	cp ".handout/$file" "$pristine"
	from=".handout/$file"
elif git cat-file -e "HEAD:$file" 2>/dev/null; then
	git show "HEAD:$file" >"$pristine" || die "git show HEAD:$file failed"
	from="git (HEAD:$file)"
else
	die "no untouched copy of $file: neither .handout/$file nor git has one"
fi

if [ -f "$file" ] && cmp -s "$file" "$pristine"; then
	echo "reset: $file is already the untouched handout: nothing to do."
	exit 0
fi
if [ -f "$file" ]; then
	base=$file.saved-$(date +%Y%m%d-%H%M%S)
	saved=$base
	k=1
	while [ -e "$saved" ]; do k=$((k + 1)); saved=$base-$k; done
	cp -p "$file" "$saved" || die "cannot save your file as $saved: nothing changed"
	echo "reset: your file is saved as $saved"
fi
cp "$pristine" "$file" || die "cannot write $file"
echo "reset: $file is the untouched handout again (from $from): make check$n says what is to do."
