#!/usr/bin/env bash
# vulncheck.sh runs govulncheck (pinned in tools/go.mod) against an offline copy of the Go
# vulnerability database: the OSV entries of the golang.org/x/vulndb module version below,
# fetched from the Go module proxy and indexed once by tools/vulndbindex into the v1 layout
# govulncheck reads (-db file://$CACHE/vulndb/<version>).
#
#   scripts/vulncheck.sh          scan every Go module of the repository (./... in each);
#                                 on success print one line, else govulncheck's report
#   scripts/vulncheck.sh ARGS...  govulncheck -db ... ARGS... in the root module, output as
#                                 is (scripts/vulncheck.sh -show verbose ./...)
#
# Exits 3 when a module calls a vulnerable symbol (a reachable vulnerability), non-zero on
# any other failure, 0 otherwise; vulnerabilities in packages imported or modules required
# but not called are counted in the summary line. The standard library is checked at the
# version of the go command the caller's GOTOOLCHAIN selects (the root go.mod's toolchain line
# when none is set), so GOTOOLCHAIN=go1.26.8 scripts/vulncheck.sh checks that release.
# CACHE is ${QUANTRAC_CACHE:-$HOME/.cache/quantrac}. Needs only the Go module proxy.
set -euo pipefail

# The database snapshot. To move it, take the newest pseudo-version (x/vulndb has no tags)
# and its Sum: `go mod download -json golang.org/x/vulndb@latest` prints both.
VULNDB_MODULE=golang.org/x/vulndb
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
VULNDB_SUM=h1:mfngRv0Yoh0VApsXKEN82CjD99kl7mtparN3bs3JnqI=

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
mkdir -p "$CACHE/vulndb"
CACHE=$(cd "$CACHE" && pwd)
export QUANTRAC_CACHE=$CACHE
if [ -z "${GOTOOLCHAIN:-}" ]; then
	GOTOOLCHAIN=$(sed -n 's/^toolchain[[:space:]]*//p' "$root/go.mod")
	export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
fi
export GOWORK=off

die() {
	echo "vulncheck: $*" >&2
	exit 1
}

tools=$("$root/tools/install.sh" govulncheck vulndbindex)
govulncheck=$(sed -n 1p <<<"$tools")
vulndbindex=$(sed -n 2p <<<"$tools")

# json_field NAME prints the string field NAME of the `go mod download -json` object on stdin.
json_field() {
	sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p"
}

# build_db fetches the vulndb module and indexes its data/osv into $db.
build_db() {
	local info dir sum modified tmp
	# Outside any module (from /), without the caller's GOFLAGS: only the module cache changes.
	info=$(cd / && GOFLAGS='' go mod download -json "$VULNDB_MODULE@$VULNDB_VERSION") ||
		die "go mod download $VULNDB_MODULE@$VULNDB_VERSION failed"
	dir=$(json_field Dir <<<"$info")
	sum=$(json_field Sum <<<"$info")
	[ "$sum" = "$VULNDB_SUM" ] || die "$VULNDB_MODULE@$VULNDB_VERSION has sum $sum, want $VULNDB_SUM"
	[ -d "$dir/data/osv" ] || die "$dir has no data/osv"
	# The OSV files carry zero timestamps; the snapshot's commit time dates the database.
	modified=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(json_field Info <<<"$info")")
	tmp=$(mktemp -d "$CACHE/vulndb/.$VULNDB_VERSION.XXXXXX")
	if ! "$vulndbindex" -vulns "$dir/data/osv" -out "$tmp" ${modified:+-modified "$modified"}; then
		rm -rf "$tmp"
		die "indexing $dir/data/osv failed"
	fi
	chmod 755 "$tmp"
	mv "$tmp" "$db"
}

db=$CACHE/vulndb/$VULNDB_VERSION
if [ ! -f "$db/index/modules.json" ]; then
	if command -v flock >/dev/null 2>&1; then
		exec 8>"$CACHE/.vulndb.lock"
		flock 8
	fi
	if [ ! -f "$db/index/modules.json" ]; then
		echo "vulncheck: indexing $VULNDB_MODULE@$VULNDB_VERSION into $db" >&2
		rm -rf "$db"
		build_db
	fi
fi
dburl=file://${db// /%20}

if [ $# -gt 0 ]; then
	cd "$root"
	exec "$govulncheck" -db "$dburl" "$@"
fi

start=$SECONDS
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# modules prints the directory of every module, relative to the root: "." first.
modules() {
	(cd "$root" && find . \( -name testdata -o -name vendor -o -name node_modules -o -name '.?*' \) -prune \
		-o -name go.mod -print) | sed 's|/go.mod$||' | sort
}

# not_called prints "I imported, R required" from govulncheck's text summary, if it has one.
not_called() {
	tr '\n' ' ' <"$out" | tr -s ' ' |
		sed -n 's/.*This scan also found \([0-9]*\) vulnerabilit[a-z]* in packages you import and \([0-9]*\) vulnerabilit[a-z]* in modules you require.*/\1 imported, \2 required/p'
}

status=0
found=()
other=()
mods=()
while IFS= read -r mod; do
	mod=${mod#./}
	mods+=("$mod")
	rc=0
	(cd "$root/$mod" && "$govulncheck" -db "$dburl" ./...) >"$out" 2>&1 || rc=$?
	case $rc in
	0)
		n=$(not_called)
		[ -z "$n" ] || other+=("$mod: $n")
		;;
	3)
		found+=("$mod")
		echo "== module $mod: reachable vulnerabilities"
		cat "$out"
		status=3
		;;
	*)
		echo "== module $mod: govulncheck failed (exit $rc)"
		cat "$out"
		[ "$status" -eq 3 ] || status=1
		;;
	esac
done < <(modules)

goversion=$(go env GOVERSION)
where="govulncheck $(sed -n 's/.*govulncheck@\([^ ]*\).*/\1/p' <<<"$("$govulncheck" -version)" | head -1), $goversion, vulndb ${VULNDB_VERSION##*-}"
if [ "$status" -ne 0 ]; then
	what="govulncheck failed"
	[ ${#found[@]} -eq 0 ] || what="reachable vulnerabilities in ${found[*]}"
	echo "vulncheck: FAIL, $what ($where, $((SECONDS - start))s)" >&2
	exit "$status"
fi
extra=""
if [ ${#other[@]} -gt 0 ]; then
	extra="; not called: $(
		IFS=';'
		echo "${other[*]}"
	) (details: scripts/vulncheck.sh -show verbose ./...)"
fi
echo "vulncheck: ok, no reachable vulnerabilities in ${#mods[@]} modules (${mods[*]})$extra ($where, $((SECONDS - start))s)"
