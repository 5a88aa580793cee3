#!/usr/bin/env bash
# report.sh - one page with every lab's last results, for a projector (make report).
#
#   scripts/report.sh [OUT]      OUT: where the labs wrote (out/); the page is OUT/index.html
#
# For every lab of labs/ that has run (OUT/labN/ holds its files): its last
# results table (OUT/labN/results.html, written by the lab program), the date
# and machine it was measured on, and every plot in OUT/labN/, each captioned
# with the time it was drawn.  Labs that have not run are named at the end.
set -u
OUT=${1:-out}
PAGE=$OUT/index.html
[ -d "$OUT" ] || mkdir -p "$OUT"

esc() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
when() { date -d "@$1" '+%Y-%m-%d %H:%M %Z'; }

lab_title() {   # the checker's title of lab N, else the directory's name
	local t
	t=$(sed -n 's/^[[:space:]]*\.title *= *"\([^"]*\)".*/\1/p' "tests/lab$1_check.c" 2>/dev/null | head -n 1)
	echo "${t:-$2}"
}

# A plot's name as a caption: "timeline-pool.png" -> "timeline pool".
caption() { local c=${1%.png}; echo "${c//-/ }"; }

not_run=()
shown=0
{
	cat <<EOF
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The concurrency workbook: measured results</title>
<style>
  body { font-family: "DejaVu Sans", Verdana, sans-serif; font-size: 22px; margin: 1.2em 2em;
         color: #111; background: #fff; line-height: 1.35; }
  h1 { font-size: 1.9em; margin-bottom: 0.2em; }
  h2 { font-size: 1.55em; border-top: 4px solid #246; padding-top: 0.5em; margin-top: 1.6em; }
  .generated, .measured { color: #333; }
  .settings { font-weight: bold; }
  table.results { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.95em; }
  table.results th, table.results td { border: 1px solid #999; padding: 0.25em 0.6em; vertical-align: top; }
  table.results th { background: #dde6f0; text-align: left; white-space: nowrap; }
  table.results td.num { text-align: right; font-family: "DejaVu Sans Mono", monospace; white-space: nowrap; }
  table.results tr.missing td { color: #8a1c1c; font-style: italic; }
  table.results tbody tr:nth-child(even) { background: #f4f4f4; }
  /* the plots are 960 px wide: one a row on a 1400 px screen, two on a wide one */
  .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(940px, 1fr)); gap: 1em; }
  figure { margin: 0; border: 1px solid #ccc; padding: 0.4em; background: #fff; }
  figure img { width: 100%; height: auto; display: block; }
  figcaption { font-size: 0.8em; color: #333; margin-top: 0.3em; }
  .stale { color: #8a1c1c; font-weight: bold; }
  .missing { color: #8a1c1c; }
  nav { font-size: 1.1em; margin: 0.5em 0; }
  nav a { margin-right: 0.8em; }
</style>
</head>
<body>
<h1>The concurrency workbook: measured results</h1>
<p class="generated">Page made $(date '+%Y-%m-%d %H:%M %Z') on $(uname -n | esc) from the files in $(echo "$OUT" | esc)/.
Every figure below was measured on the machine named with it; run <code>make labN</code> again to refresh a lab, then <code>make report</code>.</p>
EOF
	# the labs that have run, as links: a class jumps to the one it is on
	links=""
	for dir in labs/[0-9][0-9]-*/; do
		k=${dir#labs/}
		k=${k%%-*}
		k=${k#0}
		[ -n "$(ls "$OUT/lab$k"/results.* "$OUT/lab$k"/*.png 2>/dev/null)" ] &&
			links="$links <a href=\"#lab$k\">Lab $k</a>"
	done
	[ -n "$links" ] && echo "<nav>Labs:$links</nav>"
	for dir in labs/[0-9][0-9]-*/; do
		dir=${dir%/}
		name=${dir#labs/}
		n=${name%%-*}
		n=${n#0}
		lab=$OUT/lab$n
		pngs=()
		# in the order the run drew them (the experiments' order)
		while IFS= read -r p; do [ -n "$p" ] && pngs+=("$p"); done < <(ls -tr "$lab"/*.png 2>/dev/null)
		if [ ! -f "$lab/results.html" ] && [ ! -f "$lab/results.dat" ] && [ ${#pngs[@]} -eq 0 ]; then
			not_run+=("$n")
			continue
		fi
		shown=$((shown + 1))
		echo "<section class=\"lab\" id=\"lab$n\">"
		echo "<h2>Lab $n: $(lab_title "$n" "$name" | esc)</h2>"
		table_time=0
		if [ -f "$lab/results.html" ]; then
			cat "$lab/results.html"
			table_time=$(stat -c %Y "$lab/results.html")
		else
			stamp=""
			[ -f "$lab/results.dat" ] && stamp=" (its data file is from $(when "$(stat -c %Y "$lab/results.dat")"))"
			echo "<p class=\"missing\">No results table recorded for this run$stamp: run <code>make lab$n</code> again to get one.</p>"
		fi
		if [ ${#pngs[@]} -gt 0 ]; then
			echo "<div class=\"plots\">"
			# the lab's summary chart first, then the others as they were drawn
			ordered=()
			[ -f "$lab/results.png" ] && ordered+=("$lab/results.png")
			for p in "${pngs[@]}"; do [ "$p" = "$lab/results.png" ] || ordered+=("$p"); done
			for p in "${ordered[@]}"; do
				base=${p##*/}
				t=$(stat -c %Y "$p")
				note=""
				if [ "$table_time" -gt 0 ] && [ $((table_time - t)) -gt 3600 ]; then
					note=" <span class=\"stale\">(from an earlier run than the table)</span>"
				fi
				echo "<figure><img src=\"lab$n/$(echo "$base" | esc)\" alt=\"lab $n: $(caption "$base" | esc)\">"
				echo "<figcaption>$(caption "$base" | esc), drawn $(when "$t")$note</figcaption></figure>"
			done
			echo "</div>"
		fi
		echo "</section>"
	done
	if [ ${#not_run[@]} -gt 0 ]; then
		list=""
		for n in "${not_run[@]}"; do list="$list${list:+, }lab $n"; done
		echo "<p class=\"missing\">Not run yet (nothing in $(echo "$OUT" | esc)/labN/): $list.</p>"
	fi
	echo "</body>"
	echo "</html>"
} >"$PAGE.tmp" && mv "$PAGE.tmp" "$PAGE" || { echo "report: cannot write $PAGE" >&2; exit 1; }
echo "report: $PAGE ($shown lab$([ "$shown" -eq 1 ] || echo s) with results${not_run:+; not run yet: ${not_run[*]}})"
