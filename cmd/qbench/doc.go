// Command qbench is quantrac's end-to-end load benchmark (`make bench`; see BENCHMARKS.md). It
// starts InfluxDB 1.8 once and, for each station count, a fresh Mosquitto (persistence on,
// large queues and in-flight window), then measures with stationsim as the load:
//
//	1 broker-only   stationsim ──QoS 1──> mosquitto ──> counting subscriber (in qbench)
//	                first publish → last message received
//	2 end to end    stationsim ──QoS 1──> mosquitto ──> quantrac ──> InfluxDB
//	                first publish → every point queryable
//	3 catch-up      quantrac stopped; stationsim publishes a backlog into its session;
//	                quantrac started: connected → every backlog point queryable
//	  drain ceiling the counting subscriber drains the same backlog from its session
//	4 latency       breaching readings on permit-limit probe stations → listed in
//	                /api/v1/violations (the state quantrac_violation is built from),
//	                with a steady background load from stationsim
//
// It records the CPU seconds of every process in each phase (/proc/<pid>/stat), quantrac's
// peak RSS (VmHWM) before and after a /metrics scrape, its start time and its own counters as
// an accounting check. Optionally it profiles one more end-to-end run with perf. It prints
// markdown tables and writes <date>.json and <date>.md into -out.
//
// The counting subscriber reads through a buffer and coalesces its PUBACKs (internal/mqttconn), so that
// the ceiling is the broker's rather than paho's system calls. "Queryable" is detected with
// cheap InfluxDB counts of the series that receive each connection's last message, then with
// a count of the whole load (pollCount). qbench measures through /proc: it runs on Linux only.
//
//	qbench -stations 10,100,1000,10000 -messages 200000 -backlog 100000
//	qbench -stations 100 -messages 20000 -backlog 10000 -probes 20   # a quick run
//
// `qbench writecost` measures InfluxDB alone: influxd's CPU per point of quantrac's line
// protocol, for variants of the write (batch size, precision, gzip, HTTP client) and of
// influxd's configuration and environment (writecost.go; `qbench writecost -h`).
//
//	qbench writecost -repeat 3
//	qbench writecost -variants base,gogc400 -variant 'mine:batch=10000,env.GOGC=200' -repeat 5
package main
