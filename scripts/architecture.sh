#!/usr/bin/env bash
# architecture.sh — prints the package → imports table of docs/architecture.md (Markdown):
# every package of this module, the packages of this module it imports, and those that import
# it (from `go list`; tests' imports left out). docs/architecture.md holds its output between
# the markers <!-- BEGIN architecture.sh --> and <!-- END architecture.sh -->;
# scripts/check-generated.sh fails when they differ. Regenerate with:
#   scripts/architecture.sh -write
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

table() {
	local mod
	mod=$(go list -m)
	echo '| package | imports (this module) | imported by |'
	echo '| --- | --- | --- |'
	go list -f '{{.ImportPath}} {{join .Imports " "}}' ./... |
		awk -v mod="$mod" '
			function short(p) { return p == mod ? "quantrac" : substr(p, length(mod) + 2) }
			function mine(p) { return p == mod || index(p, mod "/") == 1 }
			function add(s, x) { return s (s == "" ? "" : ", ") "`" x "`" }
			{
				pkg[NR] = $1
				for (i = 2; i <= NF; i++)
					if (mine($i)) {
						imp[$1] = add(imp[$1], short($i))
						by[$i] = add(by[$i], short($1))
					}
			}
			END {
				for (k = 1; k <= NR; k++) {
					p = pkg[k]
					printf "| `%s` | %s | %s |\n", short(p), (p in imp) ? imp[p] : "—", (p in by) ? by[p] : "—"
				}
			}'
}

case "${1:-}" in
"")
	table
	;;
-write)
	doc=docs/architecture.md
	tmp=$(mktemp)
	table >"$tmp.table"
	awk -v tf="$tmp.table" '
		/<!-- BEGIN architecture.sh -->/ { print; while ((getline l < tf) > 0) print l; skip = 1; next }
		/<!-- END architecture.sh -->/ { skip = 0 }
		!skip' "$doc" >"$tmp"
	mv "$tmp" "$doc"
	rm -f "$tmp.table"
	;;
-check)
	want=$(table)
	have=$(awk '/<!-- BEGIN architecture.sh -->/ { on = 1; next } /<!-- END architecture.sh -->/ { on = 0 } on' docs/architecture.md)
	if [ "$want" != "$have" ]; then
		diff <(echo "$have") <(echo "$want") >&2 || true
		echo "architecture: the package table of docs/architecture.md is stale: run scripts/architecture.sh -write and commit the result" >&2
		exit 1
	fi
	echo "architecture: docs/architecture.md's package table is up to date"
	;;
*)
	echo "usage: scripts/architecture.sh [-write|-check]" >&2
	exit 2
	;;
esac
