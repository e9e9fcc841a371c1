package daemon

import (
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/testenv"
)

// The property test: random streams of readings — duplicates, corrections (the same time with
// other values), clock jitter, two readings in a slot, reordering, newest-first backlogs, a day backfilled after newer days, silences, a
// restart midway — driven through the real daemon (Mosquitto, InfluxDB) must leave the record
// the batch evaluator (oracle_test.go) computes from the stored readings: verdicts are a view
// of the stored readings, whatever order or moment they arrive in (rules/README.md).

var (
	propertyStreams = flag.Int("property.streams", 4, "random streams each TestVerdictsAreAViewOfTheStoredReadings… test drives through the daemon")
	propertySeed    = flag.Uint64("property.seed", 0, "seed of the property test's first batch (0: from the clock)")
	propertyKnown   = flag.Bool("property.known", false, "run the tests that show known engine defects")
)

// skipKnownDefects skips the tests that show a known engine defect, unless -property.known.
const skipKnownDefects = false

// skipKnown skips t for the known engine defect named.
func skipKnown(t *testing.T, defect string) {
	if skipKnownDefects && !*propertyKnown {
		t.Skip("known engine defect (run with -property.known): " + defect)
	}
}

// streamsPerBatch is how many streams (a station pair each) share one daemon, broker and
// InfluxDB: one batch publishes them together (restarting the daemon midway in
// TestVerdictsAreAViewOfTheStoredReadingsAcrossARestart).
const streamsPerBatch = 4

// oracleRules is the test's regulation: no unit conversion is needed (µg/m³ readings at the
// regulation's reference conditions).
const oracleRules = `id: ORACLE
title: "Property test regulation"
country: VN
kind: air
source: {document: "internal/daemon property test"}
reference: {temperature: 25C}
limits:
  - {parameter: pm25, period: 1h, max: 50, unit: µg/m³}
  - {parameter: pm25, period: 24h, max: 45, unit: µg/m³}
  - {parameter: no2, period: 8h, max: 100, unit: µg/m³}
`

var (
	oracleAirLimits = []oracleLimit{{"pm25", "ORACLE", "1h", 50}, {"pm25", "ORACLE", "24h", 45}, {"no2", "ORACLE", "8h", 100}}
	oracleWWLimits  = []oracleLimit{{"cod", "permit", "sample", 75}}
)

// propertyStations returns the registry of n streams: an air station under ORACLE and a
// wastewater station with a COD permit each.
func propertyStations(n int) (string, []oracleStation) {
	var b strings.Builder
	var sts []oracleStation
	b.WriteString("stations:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: P%d-AQ, kind: air, location: {lat: 22.39, lon: 103.45}, interval: 5m, regulations: [ORACLE]}\n", i)
		fmt.Fprintf(&b, "  - id: P%d-WW\n    kind: wastewater\n    location: {lat: 22.39, lon: 103.47}\n    interval: 15m\n"+
			"    limits:\n      - {parameter: cod, max: 75, unit: mg/L}\n", i)
		sts = append(sts, oracleStation{fmt.Sprintf("P%d-AQ", i), "air", oracleAirLimits},
			oracleStation{fmt.Sprintf("P%d-WW", i), "wastewater", oracleWWLimits})
	}
	return b.String(), sts
}

// message is one MQTT message of a stream.
type message struct{ topic, payload string }

// record is one reading instant of a station: its time and values.
type record struct {
	t      time.Time
	values map[string]float64
}

func (r record) json() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.values)) {
		parts = append(parts, fmt.Sprintf("%q: %v", k, r.values[k]))
	}
	return fmt.Sprintf(`{"time": %q, "readings": {%s}}`, r.t.Format(time.RFC3339), strings.Join(parts, ", "))
}

// features are the ways a stream departs from one reading per slot, in order.
type features struct {
	jitter, twoPerSlot, duplicates, silences bool
	corrections                              bool   // a record sent again later with other values (the same point)
	order                                    string // in order, shuffled, newest first, backfill
	arrays                                   bool   // backlog messages (JSON arrays) rather than one record each
}

func (f features) String() string {
	var s []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.jitter, "jitter ±2 s"}, {f.twoPerSlot, "two readings in some slots"}, {f.duplicates, "duplicates"},
		{f.silences, "silences"}, {f.corrections, "corrections"}, {f.arrays, "backlog arrays"}} {
		if x.on {
			s = append(s, x.name)
		}
	}
	return strings.Join(append(s, f.order), ", ")
}

var orders = []string{"in order", "shuffled", "newest first", "day backfilled after newer days"}

// stream is what one station receives.
type stream struct {
	station, topic string
	f              features
	msgs           []string
	times          int         // distinct timestamps sent: the points InfluxDB must hold
	sent           []time.Time // those timestamps (nil in scenarios), to name the missing ones
}

// genStream returns a random stream of 5-minute (air) or 15-minute (wastewater) records after
// the instant from and up to the instant to, whose values cross the limits now and then.
func genStream(r *rand.Rand, station, kind string, from, to time.Time) stream {
	f := features{jitter: r.IntN(2) == 0, twoPerSlot: r.IntN(2) == 0, duplicates: r.IntN(2) == 0,
		silences: r.IntN(3) > 0, order: orders[r.IntN(len(orders))], arrays: r.IntN(2) == 0, corrections: r.IntN(3) == 0}
	step := 5 * time.Minute
	if kind == "wastewater" {
		step = 15 * time.Minute
	}
	gaps := silences(r, f.silences, from, to)
	var recs []record
	level := map[string]float64{}
	for i, t := 0, from.Add(step); !t.After(to); i, t = i+1, t.Add(step) {
		if gaps(t) {
			continue
		}
		newLevels(r, kind, i, level)
		at := t
		if f.jitter {
			at = at.Add(time.Duration(r.IntN(5)-2) * time.Second)
		}
		recs = append(recs, record{at, values(r, level)})
		if f.twoPerSlot && r.IntN(8) == 0 {
			recs = append(recs, record{at.Add(time.Duration(30+r.IntN(60)) * time.Second), values(r, level)})
		}
	}
	s := stream{station: station, topic: "stations/" + station + "/" + kind, f: f, times: len(recs)}
	for _, rec := range recs {
		s.sent = append(s.sent, rec.t)
	}
	s.msgs = pack(r, f, recs)
	return s
}

// silences returns whether an instant falls in one of 1–3 random gaps of 1–8 hours, or in a
// thinned hour (a few readings missing, below capture or not).
func silences(r *rand.Rand, on bool, from, to time.Time) func(time.Time) bool {
	if !on {
		return func(time.Time) bool { return false }
	}
	type gap struct{ a, b time.Time }
	var gs []gap
	for range 1 + r.IntN(3) {
		a := from.Add(time.Duration(r.Int64N(int64(to.Sub(from)))))
		gs = append(gs, gap{a, a.Add(time.Duration(1+r.IntN(8)) * time.Hour)})
	}
	thin := 0.03 + r.Float64()*0.15
	return func(t time.Time) bool {
		for _, g := range gs {
			if t.After(g.a) && !t.After(g.b) {
				return true
			}
		}
		return r.Float64() < thin
	}
}

// newLevels moves the levels the readings scatter around at the i-th record: PM2.5 every 12,
// NO2 every 48, COD now and then, each near its limit often enough to cross it both ways. It
// depends on i, not on the time, so that a seed gives the same stream relative to its end.
func newLevels(r *rand.Rand, kind string, i int, level map[string]float64) {
	pick := func(xs ...float64) float64 { return xs[r.IntN(len(xs))] }
	if kind == "wastewater" {
		if _, ok := level["cod"]; !ok || r.IntN(5) == 0 {
			level["cod"] = pick(40, 60, 74, 75, 76, 90, 150)
		}
		return
	}
	if _, ok := level["pm25"]; !ok || i%12 == 0 {
		level["pm25"] = pick(15, 30, 40, 44, 48, 52, 60, 80)
	}
	if _, ok := level["no2"]; !ok || i%48 == 0 {
		level["no2"] = pick(50, 80, 95, 105, 130, 180)
	}
}

// values draws a record's values around the levels, to 0.1.
func values(r *rand.Rand, level map[string]float64) map[string]float64 {
	v := map[string]float64{}
	for _, k := range slices.Sorted(maps.Keys(level)) { // in a fixed order: a seed gives one stream
		v[k] = math.Max(0, math.Round((level[k]+r.Float64()*10-5)*10)/10)
	}
	return v
}

// pack turns records (time order) into the stream's messages: duplicated, in arrays
// (backlogs), and ordered as its features say.
func pack(r *rand.Rand, f features, recs []record) []string {
	if f.duplicates {
		for i := range recs {
			if r.IntN(10) == 0 {
				recs = slices.Insert(recs, min(len(recs), i+r.IntN(30)), recs[i])
			}
		}
	}
	if f.corrections {
		for i := range recs {
			if r.IntN(30) == 0 {
				c := record{recs[i].t, map[string]float64{}}
				for _, k := range slices.Sorted(maps.Keys(recs[i].values)) {
					c.values[k] = math.Round((recs[i].values[k]+r.Float64()*40)*10) / 10
				}
				recs = slices.Insert(recs, min(len(recs), i+1+r.IntN(60)), c)
			}
		}
	}
	switch f.order {
	case "shuffled":
		r.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	case "newest first":
		slices.Reverse(recs)
	case "day backfilled after newer days":
		cut := len(recs) / 3
		recs = append(slices.Clone(recs[cut:]), recs[:cut]...)
	}
	var msgs []string
	for len(recs) > 0 {
		n := 1
		if f.arrays {
			n = min(len(recs), 1+r.IntN(48))
		}
		var parts []string
		for _, rec := range recs[:n] {
			parts = append(parts, rec.json())
		}
		if n == 1 && !f.arrays {
			msgs = append(msgs, parts[0])
		} else {
			msgs = append(msgs, "["+strings.Join(parts, ",")+"]")
		}
		recs = recs[n:]
	}
	return msgs
}

// interleave merges the streams' messages, each stream's in its own order.
func interleave(r *rand.Rand, ss []stream) []message {
	var out []message
	next := make([]int, len(ss))
	for {
		var open []int
		for i, s := range ss {
			if next[i] < len(s.msgs) {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			return out
		}
		i := open[r.IntN(len(open))]
		out = append(out, message{ss[i].topic, ss[i].msgs[next[i]]})
		next[i]++
	}
}

// publishBurst sends messages at QoS 1 in order without waiting for each acknowledgement (a
// burst, as a station's backlog arrives), then waits for them all.
func publishBurst(t *testing.T, brokerURL string, msgs []message) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("property-stations"))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	toks := make([]mqtt.Token, 0, len(msgs))
	for _, m := range msgs {
		toks = append(toks, c.Publish(m.topic, 1, false, m.payload))
	}
	for _, tok := range toks {
		if tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
}

// The engine's record — the non-withdrawn violations points and each limit's latest closed
// period on /api/v1/stations/{id} — equals what the batch evaluator computes from the readings
// InfluxDB holds, for random streams driven through the real daemon. Run more streams with
// -property.streams=N; reproduce a failure with -property.seed=S (the seed of its batch: the
// same streams relative to their end, which is 23 hours before the hour the test runs in).
func TestVerdictsAreAViewOfTheStoredReadings(t *testing.T) {
	property(t, false)
}

// The same with the daemon restarted midway through each batch: whatever it held in memory
// — hours, stale stations, the latest evidence — must come back from InfluxDB.
func TestVerdictsAreAViewOfTheStoredReadingsAcrossARestart(t *testing.T) {
	property(t, true)
}

// property drives *propertyStreams random streams through one daemon, in batches of
// streamsPerBatch, restarting it midway through each batch when restart is set.
func property(t *testing.T, restart bool) {
	seed := *propertySeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	registry, stations := propertyStations(*propertyStreams)
	s := startStackTuned(t, registry, oracleConfig(t, time.Now()), func(d *Daemon) { d.staleEvery = propertyTick })
	for b := 0; 2*b*streamsPerBatch < len(stations); b++ {
		batch := stations[2*b*streamsPerBatch : min(len(stations), 2*(b+1)*streamsPerBatch)]
		if !propertyBatch(t, s, batch, seed+uint64(b), restart) {
			t.Logf("reproduce with: go test ./internal/daemon -run '^%s$' -property.seed=%d -property.streams=%d",
				t.Name(), seed+uint64(b), len(batch)/2)
			return
		}
	}
}

// propertyTick is the daemon's staleEvery in these tests: short, so that the tests are
// quick, yet a few flushes of the InfluxDB writer (100 ms) long.
const propertyTick = 500 * time.Millisecond

// dataEnd returns the end of the test data at now: the end of the hour 23 hours before the
// current one. closeDelay is the limits.close_delay that closes periods 30 minutes after it:
// every period the data hold is closed by the wall clock, and the latest closed periods hold
// data, for the next 30 minutes.
func dataEnd(now time.Time) (end time.Time, closeDelay time.Duration) {
	end = now.Truncate(time.Hour).Add(-23 * time.Hour)
	return end, now.Sub(end.Add(30 * time.Minute)).Round(time.Second)
}

// oracleConfig returns the configuration edit of these tests: the ORACLE regulation, and the
// close delay of data ending at dataEnd(now).
func oracleConfig(t *testing.T, now time.Time) func(*config.Config) {
	rulesFile := filepath.Join(t.TempDir(), "oracle.yaml")
	if err := os.WriteFile(rulesFile, []byte(oracleRules), 0o644); err != nil {
		t.Fatal(err)
	}
	_, closeDelay := dataEnd(now)
	return func(c *config.Config) {
		c.Rules.Files = append(c.Rules.Files, rulesFile)
		c.Limits.CloseDelay = closeDelay
	}
}

// propertyBatch drives streams drawn from seed to the stations through the daemon (restarted
// midway when restart is set) and compares each station's record with the evaluator's. It
// reports whether they all agree.
func propertyBatch(t *testing.T, s *stack, stations []oracleStation, seed uint64, restart bool) bool {
	began := time.Now()
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	end, closeDelay := dataEnd(time.Now())
	if closeAt := time.Now().Add(-s.cfg.Limits.CloseDelay); closeAt.After(end) && closeAt.Before(end.Add(50*time.Minute)) {
		closeDelay = s.cfg.Limits.CloseDelay
	} else { // the wall clock left the hour after the data's end: move the close delay along
		s.cfg.Limits.CloseDelay = closeDelay
		s.restart(t)
	}
	var streams []stream
	for _, st := range stations {
		streams = append(streams, genStream(r, st.id, st.kind, end.Add(-72*time.Hour), end))
	}
	msgs := interleave(r, streams)
	cut := len(msgs)/4 + r.IntN(len(msgs)/2)
	publishBurst(t, s.broker.URL(), msgs[:cut])
	if restart {
		s.restart(t)
	}
	publishBurst(t, s.broker.URL(), msgs[cut:])
	s.waitQuiet(t, streams)
	ok, points := true, 0
	for i, st := range stations {
		diff, n := s.compareStation(t, st, stationOracle(st, closeDelay))
		points += n
		if len(diff) > 0 {
			ok = false
			if len(diff) > 30 {
				diff = append(diff[:30], fmt.Sprintf("… and %d more", len(diff)-30))
			}
			t.Errorf("seed %d, station %s (%s): the engine's record differs from the evaluator's:\n%s",
				seed, st.id, streams[i].f, strings.Join(diff, "\n"))
		}
	}
	if points == 0 {
		t.Errorf("seed %d: the evaluator finds no exceedance at all: the streams test nothing", seed)
	}
	how := "no restart"
	if restart {
		how = fmt.Sprintf("restart after %d", cut)
	}
	t.Logf("seed %d: %d stations, %d messages (%s), %d violations points; quiet and compared in %v",
		seed, len(stations), len(msgs), how, points, time.Since(began).Round(time.Millisecond))
	return ok
}

// stationOracle returns the evaluator of a property-test station now.
func stationOracle(st oracleStation, closeDelay time.Duration) *oracle {
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	o := &oracle{loc: ict, interval: 5 * time.Minute, closeAt: time.Now().Add(-closeDelay)}
	if st.kind == "wastewater" {
		o.interval = 15 * time.Minute
	}
	return o
}

// missing lists the streams whose readings are not all in InfluxDB.
func (s *stack) missing(t *testing.T, streams []stream) []string {
	var out []string
	for _, st := range streams {
		kind := st.topic[strings.LastIndex(st.topic, "/")+1:]
		field := "pm25"
		if kind == "wastewater" {
			field = "cod"
		}
		q := fmt.Sprintf(`SELECT count(%q) FROM %q WHERE "station" = '%s'`, field, kind, st.station)
		if got := s.influx.Count("quantrac", q); got != st.times {
			out = append(out, fmt.Sprintf("%s %d of %d%s", st.station, got, st.times, s.unstored(t, st, kind, field)))
		}
	}
	return out
}

// unstored names up to 5 timestamps of a stream that InfluxDB does not hold.
func (s *stack) unstored(t *testing.T, st stream, kind, field string) string {
	held := map[int64]bool{}
	for _, x := range s.storedSamples(t, kind, st.station, field) {
		held[x.t.UnixNano()] = true
	}
	var out []string
	for _, tm := range st.sent {
		if !held[tm.UnixNano()] && len(out) < 5 {
			out = append(out, tm.UTC().Format(time.RFC3339))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (missing " + strings.Join(out, ", ") + ")"
}

// waitStored waits until every stream's readings are in InfluxDB.
func (s *stack) waitStored(t *testing.T, streams []stream) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		m := s.missing(t, streams)
		return len(m) == 0, fmt.Sprintf("readings stored: %v", m)
	})
}

// waitQuiet waits until every stream's readings are in InfluxDB, no station is stale, and
// the record and the stations' status have not changed for two re-judging ticks (at least a
// second): the wall clock has closed the periods since the last reading or restart.
func (s *stack) waitQuiet(t *testing.T, streams []stream) {
	t.Helper()
	var last string
	var since time.Time
	testenv.Eventually(t, 120*time.Second, func() (bool, string) {
		missing := s.missing(t, streams)
		pending, _ := metricValue(s.get(t, "/metrics"), "quantrac_points_pending") // corrections too
		if stale := s.d.engine.Pending(); len(missing) > 0 || len(stale) > 0 || pending > 0 {
			since = time.Time{}
			return false, fmt.Sprintf("readings stored: %v; stale stations: %v; points pending %v", missing, stale, pending)
		}
		snap := fmt.Sprint(s.influx.Query("quantrac", `SELECT * FROM "violations"`), s.get(t, "/api/v1/stations"))
		if snap != last || since.IsZero() {
			last, since = snap, time.Now()
		}
		return time.Since(since) >= max(time.Second, 2*s.d.staleEvery), "the record is still changing"
	})
}
