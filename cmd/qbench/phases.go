package main

import (
	"fmt"
	"syscall"
	"time"
)

// settle is the pause between the end of the end-to-end phase and quantrac's stop.
const settle = 2 * time.Second

// idleTimeout is how long a phase may see no progress before it is declared stuck.
const idleTimeout = 60 * time.Second

// run measures one station count, phase by phase (see the package doc). A failed phase
// ends the station count; what was measured until then is kept.
func (r *stationRun) run() Row {
	row := Row{Stations: r.n}
	defer r.close()
	fail := func(phase string, err error) Row {
		row.Errors = append(row.Errors, fmt.Sprintf("%s: %v", phase, err))
		r.b.logf("  %s failed: %v", phase, err)
		return row
	}
	var err error
	r.b.logf("%d stations: broker-only ceiling", r.n)
	if row.Broker, err = r.brokerOnly(); err != nil {
		return fail("broker-only", err)
	}
	r.b.logf("  %.0f msg/s; end to end", row.Broker.MsgPerS)
	if row.EndToEnd, err = r.endToEnd(); err != nil {
		return fail("end-to-end", err)
	}
	row.RatioEndToEnd = ratio(row.EndToEnd.MsgPerS, row.Broker.MsgPerS)
	r.b.logf("  %.0f msg/s (%.0f %%); catching up", row.EndToEnd.MsgPerS, 100*row.RatioEndToEnd)
	if row.CatchUp, row.StartupS, row.StartupCPU, err = r.catchUp(); err != nil {
		return fail("catch-up", err)
	}
	r.b.logf("  %.0f msg/s after a %.1f s start; accounting and latency", row.CatchUp.MsgPerS, row.StartupS)
	// The scrape builds every series of every station at once: its memory is reported apart.
	r.notePeakRSS()
	var took time.Duration
	if row.Accounting, row.MetricsBytes, took, err = r.q.metrics(accountingMetrics...); err != nil {
		row.Errors = append(row.Errors, fmt.Sprintf("scraping /metrics: %v", err))
	}
	row.MetricsSeconds = took.Seconds()
	if err == nil {
		row.Errors = append(row.Errors, checkAccounting(row.Accounting, row.CatchUp.Messages)...)
		row.Redelivered = int64(row.Accounting[`quantrac_messages_total{result="accepted"}`]) - row.CatchUp.Messages
	}
	if rss, err := r.q.PeakRSS(); err == nil {
		row.PeakRSSScrapeMB = float64(rss) / (1 << 20)
	}
	r.b.logf("  /metrics: %d bytes in %.1f s", row.MetricsBytes, row.MetricsSeconds)
	if row.Latency, err = r.latency(); err != nil {
		return fail("latency", err)
	}
	r.b.logf("  p50 %.0f ms, p99 %.0f ms; broker-only drain ceiling", row.Latency.P50ms, row.Latency.P99ms)
	if err := r.stopQuantrac(); err != nil {
		return fail("stopping quantrac", err)
	}
	if err := dropSession(r.broker.URL(), quantracClientID); err != nil {
		return fail("dropping quantrac's session", err)
	}
	if row.DrainCeiling, err = r.drainCeiling(); err != nil {
		return fail("drain ceiling", err)
	}
	row.RatioCatchUp = ratio(row.CatchUp.MsgPerS, row.DrainCeiling.MsgPerS)
	r.b.logf("  %.0f msg/s (catch-up %.0f %%)", row.DrainCeiling.MsgPerS, 100*row.RatioCatchUp)
	r.derive(&row)
	return row
}

// accountingMetrics are the counters read after the catch-up to check that nothing was lost.
var accountingMetrics = []string{
	"quantrac_messages_total", "quantrac_readings_total", "quantrac_readings_rejected_total",
	"quantrac_points_written_total", "quantrac_write_errors_total", "quantrac_write_duration_seconds_count",
}

// checkAccounting compares quantrac's counters after the catch-up (its process took the
// backlog, and end-to-end messages redelivered because their PUBACK had not reached the
// broker when quantrac stopped) with what was published: every message accepted, no
// reading rejected, no write error.
func checkAccounting(m map[string]float64, backlog int64) []string {
	var errs []string
	if a := m[`quantrac_messages_total{result="accepted"}`]; a < float64(backlog) {
		errs = append(errs, fmt.Sprintf("accounting: quantrac accepted %.0f messages of a backlog of %d", a, backlog))
	}
	for _, k := range []string{"quantrac_readings_rejected_total", "quantrac_write_errors_total"} {
		if m[k] != 0 {
			errs = append(errs, fmt.Sprintf("accounting: %s = %.0f", k, m[k]))
		}
	}
	return errs
}

// derive fills the per-message figures of row.
func (r *stationRun) derive(row *Row) {
	e := row.EndToEnd
	cpu := e.CPU["quantrac"]
	if e.Messages > 0 {
		row.CPUPerMessageUS = cpu / float64(e.Messages) * 1e6
		row.CPUPer100kMsgs = cpu / float64(e.Messages) * 1e5
		row.CPUPer100kReading = cpu / float64(e.Messages*int64(r.b.o.params)) * 1e5
	}
	if c := row.CatchUp; c.Messages > 0 {
		row.CatchUpCPUPerMsg = c.CPU["quantrac"] / float64(c.Messages) * 1e6
	}
	row.PeakRSSMB = float64(r.peakRSS) / (1 << 20)
}

// finish fills the rates and loads of a phase that moved n messages in elapsed.
func (p *Phase) finish(n int64, elapsed time.Duration, readingsPerMsg int) {
	p.Messages, p.Seconds = n, elapsed.Seconds()
	p.MsgPerS = rate(n, p.Seconds)
	p.ReadingsPerS = p.MsgPerS * float64(readingsPerMsg)
	p.Load1End = load1()
}

// brokerOnly is phase 1: stationsim → Mosquitto → counting subscriber, from stationsim's
// start until the subscriber has received every message.
func (r *stationRun) brokerOnly() (Phase, error) {
	o := r.b.o
	c := newCounter(r.broker.URL(), counterClientID, o.messages, !o.plainCounter)
	if err := c.connect(); err != nil {
		return Phase{}, err
	}
	defer func() { c.disconnect(); _ = dropSession(r.broker.URL(), counterClientID) }()
	ph := Phase{Load1Start: load1()}
	cpu0 := r.cpuSnap()
	sim, err := r.runSim("stationsim-broker", load{count: o.messages, start: r.t1, prefix: pubPrefix})
	if err != nil {
		return ph, err
	}
	if err := c.waitDone(o.timeout, idleTimeout); err != nil {
		return ph, err
	}
	ph.CPU = cpuDelta(cpu0, r.cpuSnap())
	ph.CPU["stationsim"] = sim.summary["cpu_s"]
	ph.Queried, ph.Publisher = c.n.Load(), sim.summary["msg_per_s"]
	ph.finish(int64(sim.summary["acked"]), c.lastAt().Sub(sim.began), o.params)
	return ph, nil
}

// endToEnd is phase 2: the same load through quantrac, from stationsim's start until every
// point is queryable in InfluxDB.
func (r *stationRun) endToEnd() (Phase, error) {
	o := r.b.o
	var err error
	if r.q, err = r.startQuantrac(r.b.quantracBin(), true); err != nil {
		return Phase{}, err
	}
	ph := Phase{Load1Start: load1()}
	cpu0 := r.cpuSnap()
	sim, err := r.runSim("stationsim-e2e", load{count: o.messages, start: r.t1, prefix: pubPrefix})
	if err != nil {
		return ph, err
	}
	acked := int64(sim.summary["acked"])
	p, err := r.pollCount(acked, r.t1)
	if err != nil {
		return ph, err
	}
	ph.CPU = cpuDelta(cpu0, r.cpuSnap())
	ph.CPU["stationsim"] = sim.summary["cpu_s"]
	ph.record(p)
	ph.Publisher = sim.summary["msg_per_s"]
	ph.TailS = p.done.Sub(sim.exited).Seconds()
	ph.finish(acked, p.done.Sub(sim.began), o.params)
	// The last batch is durable; give its PUBACKs time to reach the broker before the
	// catch-up stops quantrac (what is still unacknowledged then is redelivered, and counted).
	time.Sleep(settle)
	return ph, nil
}

// catchUp is phase 3: quantrac stops (its persistent session stays and queues), stationsim
// publishes the backlog, quantrac starts and drains it. The drain is timed from quantrac's
// connection to the broker (after its rule windows are rebuilt) until every backlog point
// is queryable; the start before it is reported apart.
func (r *stationRun) catchUp() (ph Phase, startup, startupCPU float64, err error) {
	o := r.b.o
	r.notePeakRSS()
	if err := r.stopQuantrac(); err != nil {
		return ph, 0, 0, err
	}
	sim, err := r.runSim("stationsim-backlog", load{count: o.backlog, start: r.tBacklog, prefix: pubPrefix})
	if err != nil {
		return ph, 0, 0, err
	}
	if r.q, err = r.startQuantrac(r.b.quantracBin(), false); err != nil {
		return ph, 0, 0, err
	}
	var t0 time.Time
	select {
	case t0 = <-r.q.connected.seen:
	case <-r.q.done:
		return ph, 0, 0, fmt.Errorf("quantrac exited: %w\n%s", r.q.err, r.q.Tail(20))
	case <-time.After(o.timeout):
		return ph, 0, 0, fmt.Errorf("quantrac did not connect within %v", o.timeout)
	}
	ph.Load1Start = load1()
	cpu0 := r.cpuSnap()
	startup, startupCPU = t0.Sub(r.q.started).Seconds(), cpu0["quantrac"]
	acked := int64(sim.summary["acked"])
	p, err := r.pollCount(acked, r.tBacklog)
	if err != nil {
		return ph, startup, startupCPU, err
	}
	ph.CPU = cpuDelta(cpu0, r.cpuSnap())
	ph.record(p)
	ph.Publisher = sim.summary["msg_per_s"]
	ph.finish(acked, p.done.Sub(t0), o.params)
	return ph, startup, startupCPU, nil
}

// drainCeiling is phase 3's reference: the counting subscriber leaves a persistent session
// subscribed, stationsim publishes the same backlog, the subscriber reconnects and drains
// it; timed from its connection to the last message.
func (r *stationRun) drainCeiling() (Phase, error) {
	o := r.b.o
	c := newCounter(r.broker.URL(), counterClientID, o.backlog, !o.plainCounter)
	if err := c.connect(); err != nil {
		return Phase{}, err
	}
	c.disconnect()
	defer func() { _ = dropSession(r.broker.URL(), counterClientID) }()
	sim, err := r.runSim("stationsim-drain", load{count: o.backlog, start: r.tBacklog, prefix: pubPrefix})
	if err != nil {
		return Phase{}, err
	}
	acked := int64(sim.summary["acked"])
	c = newCounter(r.broker.URL(), counterClientID, acked, !o.plainCounter)
	ph := Phase{Load1Start: load1()}
	cpu0 := r.cpuSnap()
	if err := c.connect(); err != nil {
		return ph, err
	}
	defer c.disconnect()
	t0 := c.connectedAt()
	if err := c.waitDone(o.timeout, idleTimeout); err != nil {
		return ph, err
	}
	ph.CPU = cpuDelta(cpu0, r.cpuSnap())
	ph.Queried, ph.Publisher = c.n.Load(), sim.summary["msg_per_s"]
	ph.finish(acked, c.lastAt().Sub(t0), o.params)
	return ph, nil
}

// poll is the outcome of pollCount.
type poll struct {
	done       time.Time // when the successful query was sent
	found      int64
	resolution float64 // the last wait + query time, seconds
	queries    int
	querying   time.Duration // total time of the queries
}

// lastSent returns the indexes of the stations whose message is the last one of their
// connection in a load of count messages: stationsim gives station i count/n messages (one
// more for i < count % n) and connection c the stations i ≡ c (mod conns), which it sends in
// index order, round after round.
func lastSent(count int64, n, conns int) []int {
	conns = min(conns, n)
	last := n - 1
	if r := int(count % int64(n)); r != 0 {
		last = r - 1
	}
	var out []int
	for c := range conns {
		if i := last - ((last-c)%conns+conns)%conns; i >= 0 {
			out = append(out, i)
		}
	}
	return out
}

// pollCount waits until InfluxDB holds the count points of a load that started at start.
// A count over every station costs influxd tens of milliseconds at 1,000 stations (it is
// per series), too much to repeat every few milliseconds while quantrac works. So it first
// polls, every 50 ms, whether the last message of each stationsim connection is queryable
// (a few series: cheap), and then counts the whole load every 10 ms until it is complete.
func (r *stationRun) pollCount(count int64, start time.Time) (poll, error) {
	var p poll
	rounds := (count + int64(r.n) - 1) / int64(r.n)
	lastRound := start.Add(time.Duration(rounds-1) * r.b.o.step)
	var ids []string
	for _, i := range lastSent(count, r.n, r.b.o.conns) {
		ids = append(ids, r.stations[i].ID)
	}
	gate := func() (int64, error) { return r.b.influx.countPoints(r.db, lastRound, ids...) }
	if err := r.pollUntil(&p, int64(len(ids)), gate, 50*time.Millisecond); err != nil {
		return p, err
	}
	all := func() (int64, error) { return r.b.influx.countPoints(r.db, start) }
	return p, r.pollUntil(&p, count, all, 10*time.Millisecond)
}

// pollUntil runs count every interval until it returns want.
func (r *stationRun) pollUntil(p *poll, want int64, count func() (int64, error), interval time.Duration) error {
	var last int64 = -1
	lastProgress := time.Now()
	deadline := time.Now().Add(r.b.o.timeout)
	for {
		t := time.Now()
		n, err := count()
		took := time.Since(t)
		p.queries++
		p.querying += took
		p.found = n
		if err != nil {
			return err
		}
		if n >= want {
			p.done, p.resolution = t, max(p.resolution, (interval+took).Seconds())
			return nil
		}
		if n > last {
			last, lastProgress = n, t
		}
		if time.Since(lastProgress) > idleTimeout || time.Now().After(deadline) {
			return fmt.Errorf("InfluxDB holds %d of %d points, no progress for %v", n, want, time.Since(lastProgress).Round(time.Second))
		}
		if r.q != nil && r.q.Exited() {
			return fmt.Errorf("quantrac exited: %w\n%s", r.q.err, r.q.Tail(20))
		}
		time.Sleep(interval)
	}
}

// record fills the polling figures of a phase.
func (p *Phase) record(pl poll) {
	p.Queried, p.ResolutionS = pl.found, pl.resolution
	p.CountQueries, p.CountQueryS = pl.queries, pl.querying.Seconds()
}

// stopSim interrupts a background stationsim and waits for it.
func stopSim(p *proc) error {
	return p.Stop(syscall.SIGINT, 60*time.Second)
}
