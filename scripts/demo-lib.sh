# demo-lib.sh — process bookkeeping shared by demo.sh and demo-cluster.sh (sourced, not run).
# The caller sets DEMO (its data folder) and DEMO_NAME (the prefix of its messages), then
# appends the pid of each process it starts in the background to the array pids. On exit
# (Ctrl-C included) they are stopped in reverse order; wait_for polls until a service answers.

pids=()

cleanup() {
	echo
	echo "$DEMO_NAME: stopping…"
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[$i]}" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	echo "$DEMO_NAME: stopped; data kept in $DEMO (rm -rf it to start afresh)"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

wait_for() { # wait_for NAME CMD... : up to 30 s
	local name=$1
	shift
	for _ in $(seq 1 150); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.2
	done
	echo "$DEMO_NAME: $name did not start; see $DEMO/logs/" >&2
	exit 1
}
