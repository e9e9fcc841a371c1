#!/usr/bin/env bash
# deps.sh installs the real services that quantrac's integration tests and demo run
# (README.md, "Development"), on a fresh Debian machine, and does nothing when they are already
# there.
#
#   mosquitto      Debian package `mosquitto` (only the binary is used; the system service
#                  is neither started nor stopped here)
#   influxd        InfluxDB 1.8.10 OSS, built with `go install` into $CACHE/bin
#   prometheus     Debian package `prometheus`, downloaded and unpacked into
#   promtool       $CACHE/prometheus (not installed: no service, no user, no config in /etc)
#   nats-server    NATS 2.15.3 (JetStream cluster, MQTT listener), built with
#                  `go install` into $CACHE/bin (about 20 s); the machine's own nats-server,
#                  if any, is neither used nor touched
#   chromium       Debian package `chromium`, for the console's browser tests (chromedp)
#
# CACHE is ${QUANTRAC_CACHE:-$HOME/.cache/quantrac}. The script writes $CACHE/env with the
# QUANTRAC_* variables that internal/testenv reads; with --env it also prints them, so
#
#   eval "$(scripts/deps.sh --env)"
#
# exports them into the calling shell. It is quiet when everything is present and says on
# stderr what it installs. It needs root (or sudo) only when mosquitto is missing.
#
# influxd is built with the project's patched toolchain (INFLUXD_TOOLCHAIN, default go1.27.3;
# it builds with the machine's Go 1.26 as well, the fallback). From an empty Go cache that
# takes about 4 minutes of CPU; the binary is kept, and a build is redone only when the cached
# one is not InfluxDB 1.8.10 (read from its build info with `go version -m`).
set -euo pipefail

INFLUXDB_VERSION=v1.8.10
INFLUXD_PKG=github.com/influxdata/influxdb/cmd/influxd
INFLUXD_TOOLCHAIN=${INFLUXD_TOOLCHAIN:-go1.27.3}
NATS_SERVER_VERSION=v2.15.3
NATS_SERVER_PKG=github.com/nats-io/nats-server/v2

print_env=0
case "${1:-}" in
--env) print_env=1 ;;
"") ;;
*)
	echo "usage: $0 [--env]" >&2
	exit 2
	;;
esac

CACHE=${QUANTRAC_CACHE:-${HOME:?set HOME or QUANTRAC_CACHE}/.cache/quantrac}
mkdir -p "$CACHE/bin"
CACHE=$(cd "$CACHE" && pwd)

say() { echo "deps: $*" >&2; }
die() {
	echo "deps: $*" >&2
	exit 1
}

# Two runs at once (make test and make demo) must not build into the same place.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$CACHE/.lock"
	flock 9
fi

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

find_mosquitto() {
	if [ -n "${QUANTRAC_MOSQUITTO:-}" ] && [ -x "$QUANTRAC_MOSQUITTO" ]; then
		echo "$QUANTRAC_MOSQUITTO"
		return
	fi
	local p
	for p in "$(command -v mosquitto 2>/dev/null || true)" /usr/sbin/mosquitto /usr/local/sbin/mosquitto; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 0
}

# ensure_mosquitto installs the Debian package when no mosquitto binary is found. Debian's
# maintainer scripts may register the system service; tests never use it (they start their
# own brokers on free ports), and this script does not start, stop or configure it.
ensure_mosquitto() {
	MOSQUITTO=$(find_mosquitto)
	[ -n "$MOSQUITTO" ] && return
	say "installing mosquitto (Debian package)"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
	MOSQUITTO=$(find_mosquitto)
	[ -n "$MOSQUITTO" ] || die "mosquitto still missing after apt-get install"
}

# influxd_ok reports whether $1 is an influxd built from InfluxDB $INFLUXDB_VERSION (go
# install leaves the version string empty, so the module version in the build info is read).
influxd_ok() {
	[ -x "$1" ] || return 1
	go version -m "$1" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+github.com/influxdata/influxdb[[:space:]]+$INFLUXDB_VERSION[[:space:]]"
}

build_influxd() {
	local toolchain=$1 tmp
	tmp=$(mktemp -d "$CACHE/influxd-build.XXXXXX")
	# Outside any module, so the project's go.mod does not take part.
	if (cd "$tmp" && GOTOOLCHAIN=$toolchain GOBIN="$tmp" go install "$INFLUXD_PKG@$INFLUXDB_VERSION") >&2; then
		mv -f "$tmp/influxd" "$INFLUXD"
		rm -rf "$tmp"
		return 0
	fi
	rm -rf "$tmp"
	return 1
}

ensure_influxd() {
	INFLUXD=${QUANTRAC_INFLUXD:-$CACHE/bin/influxd}
	influxd_ok "$INFLUXD" && return
	command -v go >/dev/null 2>&1 || die "go is needed to build influxd"
	INFLUXD=$CACHE/bin/influxd
	say "building influxd $INFLUXDB_VERSION with $INFLUXD_TOOLCHAIN into $INFLUXD (about 2-3 minutes)"
	if ! build_influxd "$INFLUXD_TOOLCHAIN"; then
		say "build with $INFLUXD_TOOLCHAIN failed; retrying with the local Go ($(GOTOOLCHAIN=local go env GOVERSION))"
		build_influxd local || die "could not build influxd $INFLUXDB_VERSION"
	fi
	influxd_ok "$INFLUXD" || die "built $INFLUXD is not influxd $INFLUXDB_VERSION"
}

# nats_ok reports whether $1 is a nats-server built from $NATS_SERVER_VERSION.
nats_ok() {
	[ -x "$1" ] || return 1
	go version -m "$1" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+github.com/nats-io/nats-server/v2[[:space:]]+$NATS_SERVER_VERSION[[:space:]]"
}

ensure_nats_server() {
	local tmp
	NATS_SERVER=${QUANTRAC_NATS_SERVER:-$CACHE/bin/nats-server}
	nats_ok "$NATS_SERVER" && return
	command -v go >/dev/null 2>&1 || die "go is needed to build nats-server"
	NATS_SERVER=$CACHE/bin/nats-server
	say "building nats-server $NATS_SERVER_VERSION into $NATS_SERVER (about 20 s)"
	tmp=$(mktemp -d "$CACHE/nats-build.XXXXXX")
	if ! (cd "$tmp" && GOTOOLCHAIN=$INFLUXD_TOOLCHAIN GOBIN="$tmp" go install "$NATS_SERVER_PKG@$NATS_SERVER_VERSION") >&2; then
		rm -rf "$tmp"
		die "could not build nats-server $NATS_SERVER_VERSION"
	fi
	mv -f "$tmp/nats-server" "$NATS_SERVER"
	rm -rf "$tmp"
	nats_ok "$NATS_SERVER" || die "built $NATS_SERVER is not nats-server $NATS_SERVER_VERSION"
}

# ensure_prometheus unpacks the Debian package without installing it: only the binaries are
# used, so neither its dependencies (web UI libraries) nor its service are needed.
ensure_prometheus() {
	local root=$CACHE/prometheus debs tmp deb
	PROMETHEUS=${QUANTRAC_PROMETHEUS:-$root/usr/bin/prometheus}
	PROMTOOL=${QUANTRAC_PROMTOOL:-$root/usr/bin/promtool}
	[ -x "$PROMETHEUS" ] && [ -x "$PROMTOOL" ] && return
	PROMETHEUS=$root/usr/bin/prometheus
	PROMTOOL=$root/usr/bin/promtool
	say "downloading the Debian package prometheus into $root"
	debs=$(mktemp -d "$CACHE/debs.XXXXXX")
	# -o APT::Sandbox::User=root: the download directory belongs to us, not to _apt.
	if ! (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root prometheus) >&2; then
		say "apt-get download failed; updating the package lists and retrying"
		as_root apt-get update -qq
		(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root prometheus) >&2 ||
			die "apt-get download prometheus failed"
	fi
	deb=$(ls "$debs"/prometheus_*.deb)
	tmp=$(mktemp -d "$CACHE/prometheus.XXXXXX")
	dpkg -x "$deb" "$tmp"
	rm -rf "$root" "$debs"
	mv "$tmp" "$root"
	[ -x "$PROMETHEUS" ] && [ -x "$PROMTOOL" ] || die "prometheus package has no usr/bin/{prometheus,promtool}"
}

find_chromium() {
	if [ -n "${QUANTRAC_CHROMIUM:-}" ] && [ -x "$QUANTRAC_CHROMIUM" ]; then
		echo "$QUANTRAC_CHROMIUM"
		return
	fi
	local p
	for p in /usr/bin/chromium "$(command -v chromium 2>/dev/null || true)" /usr/bin/chromium-browser; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 0
}

# ensure_chromium installs the Debian package when no chromium is found (the browser tests of
# the console drive it headless through the DevTools protocol).
ensure_chromium() {
	CHROMIUM=$(find_chromium)
	[ -n "$CHROMIUM" ] && return
	say "installing chromium (Debian package)"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	CHROMIUM=$(find_chromium)
	[ -n "$CHROMIUM" ] || die "chromium still missing after apt-get install"
}

write_env() {
	local env
	env=$(printf "export QUANTRAC_MOSQUITTO='%s'\nexport QUANTRAC_INFLUXD='%s'\nexport QUANTRAC_PROMETHEUS='%s'\nexport QUANTRAC_PROMTOOL='%s'\nexport QUANTRAC_NATS_SERVER='%s'\nexport QUANTRAC_CHROMIUM='%s'\n" \
		"$MOSQUITTO" "$INFLUXD" "$PROMETHEUS" "$PROMTOOL" "$NATS_SERVER" "$CHROMIUM")
	if [ ! -f "$CACHE/env" ] || [ "$(cat "$CACHE/env")" != "$env" ]; then
		printf '%s\n' "$env" >"$CACHE/env.tmp"
		mv -f "$CACHE/env.tmp" "$CACHE/env"
	fi
	if [ "$print_env" -eq 1 ]; then
		printf '%s\n' "$env"
	fi
}

ensure_mosquitto
ensure_influxd
ensure_prometheus
ensure_nats_server
ensure_chromium
write_env
