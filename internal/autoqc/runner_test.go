package autoqc

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/qc"
	"github.com/quantrac/quantrac/store"
)

const step = 5 * time.Minute

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("AUTOQC_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// rig is a runner on a real InfluxDB, fed as the daemon feeds it: each message's readings
// are stored (as the sink would), then observed.
type rig struct {
	t     *testing.T
	in    *testenv.Influx
	spans *store.AutoQCSpans
	hist  *store.History
	reg   *quantrac.Registry
	r     *Runner
}

func newRig(t *testing.T) *rig {
	t.Helper()
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	o := store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
	w, err := store.NewWriter(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	reg, err := quantrac.NewRegistry(&quantrac.Station{ID: "S", Kind: quantrac.Air, Interval: step})
	if err != nil {
		t.Fatal(err)
	}
	q := store.NewQuerier(o, nil)
	g := &rig{t: t, in: in, spans: store.NewAutoQCSpans(w, q), reg: reg,
		hist: store.NewHistory(q, nil, func(n string) bool { p, ok := param.Lookup(n); return ok && p.ID == n })}
	g.start(qc.Defaults())
	return g
}

// start starts a new runner on the same InfluxDB, as a restart does.
func (g *rig) start(s qc.Settings) {
	// The clock stands still: spans created at one instant must still be distinct points.
	g.r = New(Options{Settings: s, Spans: g.spans, Readings: g.hist, Registry: func() *quantrac.Registry { return g.reg },
		Now: func() time.Time { return now }, Logger: testLogger(g.t)})
}

// msg is one message: the readings of one instant.
type msg struct {
	at   time.Time
	vals map[string]float64
}

// send stores a message's readings and has the runner observe them.
func (g *rig) send(m msg, observe bool) {
	g.t.Helper()
	var fields []string
	e := &quantrac.Envelope{}
	for _, p := range slices.Sorted(maps.Keys(m.vals)) {
		fields = append(fields, fmt.Sprintf("%s=%s", p, fmtFloat(m.vals[p])))
		e.Readings = append(e.Readings, quantrac.Reading{Station: "S", Kind: quantrac.Air, Param: p, Value: m.vals[p],
			Time: m.at, Status: quantrac.StatusMeasuring})
	}
	g.in.Write("quantrac/autogen", fmt.Sprintf("air,station=S %s %d\n", strings.Join(fields, ","), m.at.UnixNano()))
	if observe {
		g.r.Observe(e)
	}
}

func fmtFloat(v float64) string { return fmt.Sprintf("%v", v) }

// round checks every queued station; nothing may fail.
func (g *rig) round() {
	g.t.Helper()
	g.r.Round(context.Background())
	if n := g.r.Pending(); n != 0 {
		g.t.Fatalf("%d stations still queued after a round: a check failed", n)
	}
}

// all returns every automatic span of S in qc_spans, sorted.
func (g *rig) all() quantrac.QCSpans {
	g.t.Helper()
	got, err := g.spans.AutoSpans(context.Background(), "S", time.Unix(0, 0), time.Unix(0, none))
	if err != nil {
		g.t.Fatal(err)
	}
	return quantrac.QCSpans(got).Sorted()
}

func active(ss quantrac.QCSpans) quantrac.QCSpans {
	return slices.DeleteFunc(slices.Clone(ss), func(s quantrac.QCSpan) bool { return !s.Active() })
}

// stuck is n readings of no2 at v every 5 minutes from t.
func stuck(t time.Time, n int, v float64) []msg {
	out := make([]msg, n)
	for i := range out {
		out[i] = msg{at: t.Add(time.Duration(i) * step), vals: map[string]float64{"no2": v}}
	}
	return out
}

func spanLine(s quantrac.QCSpan) string {
	c, _ := CheckOf(s.ID)
	state := "active"
	if !s.Active() {
		state = "revoked by " + s.RevokedBy
	}
	return fmt.Sprintf("%s %s %s–%s %q %s", s.Parameter, c, s.From.UTC().Format("15:04"), s.To.UTC().Format("15:04"), s.Reason, state)
}

func lines(ss quantrac.QCSpans) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(spanLine(s) + "\n")
	}
	return b.String()
}

// NO2 stuck at 250 for ten hours, twice the window: one span from the run's first reading,
// grown in place as the run goes on (one point, never revoked), its reason counting every
// reading. A late reading of another value 4.5 h into the run, older than the window,
// revokes it (revoked_by auto) and leaves the two runs that still last 4 h.
func TestFlatLineGrowsThenBreaks(t *testing.T) {
	g := newRig(t)
	run := stuck(t0, 121, 250)
	var ids []string
	for i, m := range run {
		g.send(m, true)
		if i%6 == 5 || i == len(run)-1 {
			g.round()
			for _, s := range g.all() {
				ids = append(ids, s.ID)
			}
		}
		if i == 47 {
			if ss := g.all(); len(ss) != 0 {
				t.Fatalf("a span after 3h55m of 250: %s", lines(ss))
			}
		}
	}
	want := `no2 flatline 06:00–16:00 "flat line: 250 for 10h0m0s (121 readings)" active` + "\n"
	if got := lines(g.all()); got != want {
		t.Fatalf("after ten hours:\n%s\nwant:\n%s", got, want)
	}
	if ids = slices.Compact(ids); len(ids) != 1 {
		t.Errorf("the span changed id while its run went on: %v", ids)
	}
	g.send(msg{at: at(4.5).Add(150 * time.Second), vals: map[string]float64{"no2": 100}}, true)
	g.round()
	want = `no2 flatline 06:00–10:30 "flat line: 250 for 4h30m0s (55 readings)" active` + "\n" +
		`no2 flatline 06:00–16:00 "flat line: 250 for 10h0m0s (121 readings)" revoked by auto` + "\n" +
		`no2 flatline 10:35–16:00 "flat line: 250 for 5h25m0s (66 readings)" active` + "\n"
	if got := lines(g.all()); got != want {
		t.Errorf("after a late 100 at 10:32:30:\n%s\nwant:\n%s", got, want)
	}
}

// After a restart the runner reads its window back from InfluxDB and follows a run that
// began before it to its first reading: the span stored before the restart grows under the
// same id; and a run no span was written for (the process stopped before checking it) gets
// one from its first reading.
func TestRestartFollowsRunBack(t *testing.T) {
	g := newRig(t)
	for _, m := range stuck(t0, 121, 250) {
		g.send(m, true)
	}
	g.round()
	before := g.all()
	g.start(qc.Defaults())
	for _, m := range stuck(at(10).Add(step), 12, 250) {
		g.send(m, true)
	}
	g.round()
	after := g.all()
	if len(before) != 1 || len(after) != 1 || after[0].ID != before[0].ID || !after[0].To.Equal(at(11)) || !after[0].Active() ||
		after[0].Reason != "flat line: 250 for 11h0m0s (133 readings)" {
		t.Errorf("before the restart:\n%safter:\n%swant the same span grown to 17:00 (133 readings)", lines(before), lines(after))
	}

	h := newRig(t)
	for _, m := range stuck(t0, 121, 250) {
		h.send(m, false) // stored, never checked
	}
	for _, m := range stuck(at(10).Add(step), 12, 250) {
		h.send(m, true)
	}
	h.round()
	want := `no2 flatline 06:00–17:00 "flat line: 250 for 11h0m0s (133 readings)" active` + "\n"
	if got := lines(h.all()); got != want {
		t.Errorf("a run checked first after a restart:\n%swant:\n%s", got, want)
	}
}

// The automatic spans are a function of the stored readings: two days of three parameters
// with stuck runs, spikes, sentinels and PM2.5 above PM10, sent in bursts, some messages
// late by up to 12 h, some twice, some corrected later with another value, end with exactly
// the spans qc finds in all the stored readings at once.
func TestSpansAreAFunctionOfTheReadings(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 7))
			msgs := generate(rnd, 576)
			g := newRig(t)
			final := map[int64]msg{}
			for i, m := range deliver(rnd, msgs) {
				g.send(m, true)
				final[m.at.UnixNano()] = m
				if i%25 == 24 {
					g.round()
				}
			}
			g.round()
			series := map[string][]qc.Reading{}
			for _, k := range slices.Sorted(maps.Keys(final)) {
				for p, v := range final[k].vals {
					series[p] = append(series[p], qc.Reading{Time: time.Unix(0, k), Value: v})
				}
			}
			var want strings.Builder
			for _, s := range qc.New(qc.Defaults()).Station("S", step, series) {
				fmt.Fprintf(&want, "%s %s %s–%s %q active\n", s.Parameter, s.Check, s.From.UTC().Format("15:04"), s.To.UTC().Format("15:04"), s.Reason)
			}
			got := active(g.all())
			slices.SortFunc(got, func(a, b quantrac.QCSpan) int {
				ca, _ := CheckOf(a.ID)
				cb, _ := CheckOf(b.ID)
				return cmpOr(strings.Compare(a.Parameter, b.Parameter), a.From.Compare(b.From), strings.Compare(string(ca), string(cb)))
			})
			if lines(got) != want.String() {
				t.Errorf("runner's active spans:\n%s\nqc on all the readings:\n%s", lines(got), want.String())
			}
			if want.Len() == 0 {
				t.Error("no span at all: the test tests nothing")
			}
		})
	}
}

func cmpOr(cs ...int) int {
	for _, c := range cs {
		if c != 0 {
			return c
		}
	}
	return 0
}

// generate makes n instants of pm25, pm10 and no2 with faults: two no2 runs stuck (one
// shorter than 4 h), a PM2.5 spike, a sentinel, PM2.5 above PM10 for half an hour.
func generate(rnd *rand.Rand, n int) []msg {
	out := make([]msg, n)
	pm, no2 := 30.0, 40.0
	for i := range out {
		pm = math.Max(5, pm+rnd.NormFloat64()*2)
		no2 = math.Max(8, no2+rnd.NormFloat64()*3)
		round := func(v float64) float64 { return math.Round(v*10) / 10 }
		out[i] = msg{at: t0.Add(time.Duration(i) * step), vals: map[string]float64{
			"pm25": round(pm), "pm10": round(pm*1.6 + 3), "no2": round(no2)}}
	}
	fault := func(from, length int, f func(m msg)) {
		for i := from; i < from+length && i < n; i++ {
			f(out[i])
		}
	}
	a := 30 + rnd.IntN(100)
	fault(a, 48+rnd.IntN(60), func(m msg) { m.vals["no2"] = 250 }) // 4 h to 9 h
	b := 300 + rnd.IntN(100)
	fault(b, 30+rnd.IntN(10), func(m msg) { m.vals["no2"] = 88.8 }) // under 4 h
	c := 200 + rnd.IntN(50)
	fault(c, 1+rnd.IntN(3), func(m msg) { m.vals["pm25"] += 600 })
	fault(c+40, 2, func(m msg) { m.vals["pm10"] = 9999 })
	fault(c+100, 6, func(m msg) { m.vals["pm25"] = m.vals["pm10"] * 1.5 })
	return out
}

// deliver returns the messages in an order a station's backlog and a flaky link give: in
// order mostly, one in ten late by up to 12 h, one in thirty twice, and a few corrected later
// with another value.
func deliver(rnd *rand.Rand, msgs []msg) []msg {
	var out, late []msg
	lateAt := []int{}
	for i, m := range msgs {
		switch r := rnd.Float64(); {
		case r < 0.1:
			late = append(late, m)
			lateAt = append(lateAt, i+1+rnd.IntN(144))
		case r < 0.133:
			out = append(out, m, m)
		default:
			out = append(out, m)
		}
	}
	for k, m := range late {
		pos := min(lateAt[k], len(out))
		out = slices.Insert(out, pos, m)
	}
	for range 3 {
		m := msgs[rnd.IntN(len(msgs))]
		c := msg{at: m.at, vals: map[string]float64{}}
		for p, v := range m.vals {
			c.vals[p] = v
		}
		c.vals["no2"]++
		out = append(out, c)
	}
	return out
}
