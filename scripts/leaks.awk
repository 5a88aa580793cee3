# leaks.awk - has code of the reference solutions leaked into a handout? (handout.sh)
#
#   awk -f scripts/leaks.awk phase=0 HANDOUT_EXERCISES... phase=1 SOLUTIONS... phase=2 FILES...
#
# A leak is a run of K code lines (blank lines and comments aside, blanks
# trimmed) of a solution that its handout does not have, found in a file of
# the copy: a few lines of a function body, not one common idiom such as
# "memset(out, 0, sizeof *out);".  Prints "FILE:LINE: text   (from SOLUTION)",
# once per file.
function norm(l) {
	gsub(/^[ \t]+|[ \t]+$/, "", l)
	return l
}
BEGIN { K = 4 }
FNR == 1 { n = 0 }
{
	l = norm($0)
	if (l == "" || l ~ /^(\/\*|\*|\/\/)/)
		next
	buf[n % K] = l
	n++
	if (n < K)
		next
	s = ""
	long = 0
	for (i = n - K; i < n; i++) {
		s = s "\034" buf[i % K]
		if (length(buf[i % K]) >= 20)
			long++
	}
	if (long < 2)
		next
	if (phase == 0)
		handout[s] = 1
	else if (phase == 1 && !(s in handout))
		answer[s] = FILENAME
	else if (phase == 2 && (s in answer) && !(FILENAME in seen)) {
		print FILENAME ":" FNR ": " l "   (from " answer[s] ")"
		seen[FILENAME] = 1
	}
}
