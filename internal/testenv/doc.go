// Package testenv starts real services for quantrac's integration tests: Mosquitto, InfluxDB
// 1.8, Prometheus and a NATS JetStream cluster (nats-server 2.15.3, [NATSCluster]: three nodes
// with routes and MQTT listeners, each SIGKILLable), each on free loopback ports, in a
// temporary directory of the test, stopped when the test ends (no mocks where the real thing
// runs here: README.md, "Development").
//
//	func TestIngest(t *testing.T) {
//		broker := testenv.Mosquitto(t, testenv.MosquittoOptions{Persistence: true})
//		influx := testenv.InfluxDB(t, testenv.InfluxOptions{})
//		influx.CreateDatabase("quantrac")
//		// ... run the code under test against broker.URL() and influx.URL() ...
//		testenv.Eventually(t, 10*time.Second, func() (bool, string) {
//			n := influx.Count("quantrac", `SELECT count("pm25") FROM "air"`)
//			return n == 2, fmt.Sprintf("%d points", n)
//		})
//		broker.Restart() // same port, same persistence directory
//	}
//
// Each service runs as a child process of the test binary:
//
//	test ──> find binary ──> write config in t.TempDir() ──> start ──> wait until it answers
//	          │ QUANTRAC_<NAME>, cache, PATH                   │          (port / ping / ready)
//	          └ missing: t.Fatal "run scripts/deps.sh"         └ stdout+stderr > <name>.log
//	t.Cleanup: SIGTERM (SIGKILL after 15 s); when the test failed, the log's tail is printed.
//
// # Binaries
//
// Each binary is taken from its environment variable (QUANTRAC_MOSQUITTO, QUANTRAC_INFLUXD,
// QUANTRAC_PROMETHEUS, QUANTRAC_PROMTOOL, QUANTRAC_NATS_SERVER), else from the cache that
// scripts/deps.sh fills (${QUANTRAC_CACHE:-$HOME/.cache/quantrac}: bin/influxd,
// bin/nats-server, prometheus/usr/bin/{prometheus,promtool}), else from PATH (and /usr/sbin
// for mosquitto) — never from PATH for nats-server, where the machine's may be too old. A missing binary fails the test, it never skips
// it: CI must run the integration tests. `make test` runs scripts/deps.sh first; run it by hand
// before `go test` on a new machine (`eval "$(scripts/deps.sh --env)"` also exports the
// variables).
//
// # Costs
//
// Mosquitto starts in milliseconds. influxd needs about 4 s of CPU per start with Flux, which
// quantrac uses (0.3 s with [InfluxOptions].DisableFlux). Prometheus scrapes its targets for
// the first time about 5 s after each start (its discovery manager's update interval), so a
// test waiting for a scrape or a rule result waits that long.
//
// # Rules
//
// Constructors and methods call t.Fatal, so call them from the test's goroutine. Wait for
// effects with [Eventually], never with a bare sleep. Stop, Start, Kill and Restart keep the
// ports and the data directories, so a restarted service finds what it had stored; the helpers
// are safe to use from parallel tests, as every instance has its own ports and directory.
package testenv
