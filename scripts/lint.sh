#!/usr/bin/env bash
# lint.sh runs golangci-lint v2, pinned in tools/go.mod and built once into $CACHE/bin by
# tools/install.sh, with .golangci.yml over every Go module of the repository (the root
# module, dashboards/, tools/, any other go.mod outside testdata and hidden directories).
#
#   scripts/lint.sh           lint all modules; on success print one line, else the findings
#   scripts/lint.sh ARGS...   golangci-lint run ARGS... in the root module, output as is
#                             (scripts/lint.sh ./ingest/..., scripts/lint.sh --fix ./...)
#
# CACHE is ${QUANTRAC_CACHE:-$HOME/.cache/quantrac}; golangci-lint keeps its analysis cache in
# $CACHE/golangci-lint unless GOLANGCI_LINT_CACHE says otherwise. The code is analysed with
# the caller's GOTOOLCHAIN, or with the root go.mod's toolchain line when none is set. Exits
# non-zero when a module has findings or does not load. Needs only the Go module proxy.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
export QUANTRAC_CACHE=$CACHE
export GOLANGCI_LINT_CACHE=${GOLANGCI_LINT_CACHE:-$CACHE/golangci-lint}
if [ -z "${GOTOOLCHAIN:-}" ]; then
	GOTOOLCHAIN=$(sed -n 's/^toolchain[[:space:]]*//p' "$root/go.mod")
	export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
fi
export GOWORK=off

lint=$("$root/tools/install.sh" golangci-lint)
config=$root/.golangci.yml

if [ $# -gt 0 ]; then
	cd "$root"
	exec "$lint" run --config "$config" "$@"
fi

start=$SECONDS
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# modules prints the directory of every module, relative to the root: "." first.
modules() {
	(cd "$root" && find . \( -name testdata -o -name vendor -o -name node_modules -o -name '.?*' \) -prune \
		-o -name go.mod -print) | sed 's|/go.mod$||' | sort
}

failed=()
mods=()
while IFS= read -r mod; do
	mods+=("${mod#./}")
	rc=0
	(cd "$root/$mod" && "$lint" run --config "$config" --show-stats=false ./...) >"$out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		failed+=("${mod#./}")
		echo "== module ${mod#./} (golangci-lint exit $rc)"
		cat "$out"
	fi
done < <(modules)

version=$("$lint" version --short 2>/dev/null || echo "?")
if [ ${#failed[@]} -gt 0 ]; then
	echo "lint: FAIL in ${failed[*]} (golangci-lint $version, $GOTOOLCHAIN, $((SECONDS - start))s)" >&2
	exit 1
fi
echo "lint: ok, no findings in ${#mods[@]} modules (${mods[*]}) (golangci-lint $version, $GOTOOLCHAIN, $((SECONDS - start))s)"
