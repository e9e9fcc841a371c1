#!/usr/bin/env bash
# install.sh builds the tools pinned in tools/go.mod into $CACHE/bin, once per version, and
# prints the path of each on stdout, one a line:
#
#   tools/install.sh golangci-lint govulncheck vulndbindex
#
#   golangci-lint  github.com/golangci/golangci-lint/v2/cmd/golangci-lint  (tool in go.mod)
#   govulncheck    golang.org/x/vuln/cmd/govulncheck                       (tool in go.mod)
#   vulndbindex    ./vulndbindex: indexes x/vulndb's OSV files for govulncheck -db
#
# CACHE is ${QUANTRAC_CACHE:-$HOME/.cache/quantrac}. The tools are built with the toolchain
# of tools/go.mod's toolchain line whatever GOTOOLCHAIN the caller exports (that one decides
# what is analysed, not what the analysers are built with). Next to each binary, <name>.key
# records what it was built from (toolchain, go.mod, go.sum, this script, and the sources of
# a tool of this module); a binary is rebuilt only when its key changes. Only the Go module
# proxy is needed, and go.sum is checked. Quiet unless it builds (then one line on stderr).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${QUANTRAC_CACHE:-$HOME/.cache/quantrac}
mkdir -p "$CACHE/bin"
CACHE=$(cd "$CACHE" && pwd)

die() {
	echo "tools: $*" >&2
	exit 1
}

[ $# -gt 0 ] || die "usage: $0 golangci-lint|govulncheck|vulndbindex..."
command -v go >/dev/null 2>&1 || die "go is not on PATH"

toolchain=$(sed -n 's/^toolchain[[:space:]]*//p' "$here/go.mod")
[ -n "$toolchain" ] || die "no toolchain line in $here/go.mod"
export GOTOOLCHAIN=$toolchain
# The tools module alone decides the versions: no workspace, no go.mod edits.
export GOWORK=off GOFLAGS="${GOFLAGS:-} -mod=readonly"

# pkg NAME prints the package that builds tool NAME.
pkg() {
	case $1 in
	golangci-lint) echo github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
	govulncheck) echo golang.org/x/vuln/cmd/govulncheck ;;
	vulndbindex) echo ./vulndbindex ;;
	*) die "unknown tool $1" ;;
	esac
}

# key NAME prints a hash of everything tool NAME is built from.
key() {
	{
		echo "$toolchain $(pkg "$1")"
		cat "$here/go.mod" "$here/go.sum" "$here/install.sh"
		case $1 in
		vulndbindex) cat "$here"/vulndbindex/*.go ;;
		esac
	} | sha256sum | cut -d' ' -f1
}

# ldflags NAME prints the linker flags that give tool NAME its release version string.
ldflags() {
	case $1 in
	golangci-lint)
		# golangci-lint reports the version of the main module, which is ours here; its
		# release variables give the real one (they are read when date is set).
		local v
		v=$(cd "$here" && go list -m -f '{{.Version}} {{.Time.Format "2006-01-02T15:04:05Z07:00"}}' github.com/golangci/golangci-lint/v2)
		v=${v#v}
		echo "-X main.version=${v%% *} -X main.date=${v#* } -X main.commit=tools/go.mod"
		;;
	esac
}

build() {
	local name=$1 want=$2 bin=$CACHE/bin/$1 tmp
	echo "tools: building $name ($(pkg "$name")) with $toolchain into $bin" >&2
	tmp=$(mktemp "$CACHE/bin/.$name.XXXXXX")
	if ! (cd "$here" && go build -trimpath -ldflags "$(ldflags "$name")" -o "$tmp" "$(pkg "$name")") >&2; then
		rm -f "$tmp"
		die "building $name failed"
	fi
	mv -f "$tmp" "$bin"
	printf '%s\n' "$want" >"$bin.key"
}

fresh() {
	[ -x "$CACHE/bin/$1" ] && [ "$(cat "$CACHE/bin/$1.key" 2>/dev/null)" = "$2" ]
}

locked=0
for name in "$@"; do
	want=$(key "$name")
	if ! fresh "$name" "$want"; then
		# Two scripts at once (make lint and make vulncheck) must not build the same tool twice.
		if [ "$locked" -eq 0 ] && command -v flock >/dev/null 2>&1; then
			exec 8>"$CACHE/.tools.lock"
			flock 8
			locked=1
		fi
		fresh "$name" "$want" || build "$name" "$want"
	fi
	echo "$CACHE/bin/$name"
done
