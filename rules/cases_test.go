package rules

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quantrac/quantrac"
)

// A case is a rule test as data (testdata/cases/*.yaml), in the spirit of promtool test rules:
// a station, its regulations, input series fed step by step, and the verdicts and transitions
// expected after each step.
type testCase struct {
	Name    string           `yaml:"name"`
	Station quantrac.Station `yaml:"station"`
	Extra   []yaml.Node      `yaml:"extra"` // extra regulation files, inline
	// CloseDelay, when set, closes periods by the wall clock: after each step the engine is
	// ticked at the step's now (Engine.Tick), as the daemon does.
	CloseDelay string     `yaml:"close_delay"`
	Steps      []caseStep `yaml:"steps"`
}

type caseStep struct {
	Feed        []seriesCase `yaml:"feed"`
	Order       string       `yaml:"order"` // in (default), reverse, shuffle
	Now         string       `yaml:"now"`   // the engine's clock; default: newest reading + 1m
	Expect      []expectLim  `yaml:"expect"`
	Transitions *[]expectTr  `yaml:"transitions"` // nil: not checked; []: none expected
	Up          *bool        `yaml:"up"`
	Active      *int         `yaml:"active"`
}

// seriesCase is a compact input series: count readings from start every step, with value (or the
// values cycled), status, and gaps [from, to) of reading indexes left out.
type seriesCase struct {
	Param       string    `yaml:"param"`
	Start       time.Time `yaml:"start"`
	Step        string    `yaml:"step"`
	Count       int       `yaml:"count"`
	Value       float64   `yaml:"value"`
	Values      []float64 `yaml:"values"`
	Status      string    `yaml:"status"`
	Maintenance bool      `yaml:"maintenance"`
	Gaps        [][2]int  `yaml:"gaps"`
	Jitter      string    `yaml:"jitter"` // readings alternately this much late and early (the first late)
}

type expectLim struct {
	Regulation    string     `yaml:"regulation"`
	Parameter     string     `yaml:"parameter"`
	Period        string     `yaml:"period"`
	State         string     `yaml:"state"`
	Statistic     string     `yaml:"statistic"`
	Reference     *string    `yaml:"reference"`
	Violating     *bool      `yaml:"violating"`
	Value         *float64   `yaml:"value"`
	Limit         *float64   `yaml:"limit"`
	Ratio         *float64   `yaml:"ratio"`
	Coverage      *float64   `yaml:"coverage"`
	Count         *int       `yaml:"count"`
	WindowStart   *time.Time `yaml:"window_start"`
	WindowEnd     *time.Time `yaml:"window_end"`
	Exceedances   *int       `yaml:"exceedances"`
	Allowed       *int       `yaml:"allowed"`
	Exceedances3y *float64   `yaml:"exceedances_3y"`
	Allowed3y     *float64   `yaml:"allowed_3y"`
	Provisional   *expectPer `yaml:"provisional"` // with state "none": no period in progress
}

type expectPer struct {
	State     string     `yaml:"state"`
	Value     *float64   `yaml:"value"`
	Ratio     *float64   `yaml:"ratio"`
	Coverage  *float64   `yaml:"coverage"`
	Count     *int       `yaml:"count"`
	WindowEnd *time.Time `yaml:"window_end"`
}

type expectTr struct {
	State         string     `yaml:"state"`
	Regulation    string     `yaml:"regulation"`
	Parameter     string     `yaml:"parameter"`
	Period        string     `yaml:"period"`
	Statistic     string     `yaml:"statistic"`
	Reference     *string    `yaml:"reference"`
	Value         *float64   `yaml:"value"`
	Limit         *float64   `yaml:"limit"`
	Ratio         *float64   `yaml:"ratio"`
	Coverage      *float64   `yaml:"coverage"`
	Count         *int       `yaml:"count"`
	WindowStart   *time.Time `yaml:"window_start"`
	WindowEnd     *time.Time `yaml:"window_end"`
	Version       string     `yaml:"version"`
	Exceedances   *int       `yaml:"exceedances"`
	Allowed       *int       `yaml:"allowed"`
	Exceedances3y *float64   `yaml:"exceedances_3y"`
	Allowed3y     *float64   `yaml:"allowed_3y"`
}

func (s *seriesCase) readings(station string, kind quantrac.Kind) ([]quantrac.Reading, error) {
	step, err := time.ParseDuration(s.Step)
	if err != nil {
		return nil, err
	}
	var jitter time.Duration
	if s.Jitter != "" {
		if jitter, err = time.ParseDuration(s.Jitter); err != nil {
			return nil, err
		}
	}
	status := s.Status
	if status == "" {
		status = quantrac.StatusMeasuring
	}
	var rs []quantrac.Reading
	for i := range s.Count {
		if slices.ContainsFunc(s.Gaps, func(g [2]int) bool { return i >= g[0] && i < g[1] }) {
			continue
		}
		v := s.Value
		if len(s.Values) > 0 {
			v = s.Values[i%len(s.Values)]
		}
		at := s.Start.Add(time.Duration(i) * step)
		if i%2 == 0 {
			at = at.Add(jitter)
		} else {
			at = at.Add(-jitter)
		}
		rs = append(rs, quantrac.Reading{Station: station, Kind: kind, Param: s.Param, Value: v,
			Time: at, Status: status, Maintenance: s.Maintenance})
	}
	return rs, nil
}

func loadCase(t *testing.T, path string) (*testCase, *Catalog, *quantrac.Registry) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c testCase
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var extra []string
	for i, n := range c.Extra {
		b, err := yaml.Marshal(&n)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), fmt.Sprintf("extra%d.yaml", i))
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		extra = append(extra, f)
	}
	cat, err := LoadCatalog(extra...)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	st := c.Station
	reg, err := quantrac.NewRegistry(&st)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if errs := Check(cat, reg); len(errs) > 0 {
		t.Fatalf("%s: check: %v", path, errs)
	}
	return &c, cat, reg
}

// runCase feeds the case to a new engine, checking each step; order overrides every step's
// order when not empty. It returns the final limit statuses.
func runCase(t *testing.T, c *testCase, cat *Catalog, reg *quantrac.Registry, order string, check bool) []LimitStatus {
	t.Helper()
	var now time.Time
	e := NewEngine(cat, reg, func() time.Time { return now })
	if c.CloseDelay != "" {
		d, err := time.ParseDuration(c.CloseDelay)
		if err != nil {
			t.Fatal(err)
		}
		e.SetCloseDelay(d)
	}
	h := newMemHistory(reg)
	if err := e.Rebuild(context.Background(), h, now); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, step := range c.Steps {
		var rs []quantrac.Reading
		for _, s := range step.Feed {
			r, err := s.readings(c.Station.ID, c.Station.Kind)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			rs = append(rs, r...)
		}
		o := step.Order
		if order != "" {
			o = order
		}
		switch o {
		case "reverse":
			slices.Reverse(rs)
		case "shuffle":
			rng.Shuffle(len(rs), func(a, b int) { rs[a], rs[b] = rs[b], rs[a] })
		}
		for _, r := range rs {
			if r.Time.After(now) {
				now = r.Time.Add(time.Minute)
			}
		}
		// Feed in batches of 7 to exercise batch boundaries; what each batch writes goes to the
		// fake InfluxDB, and a station given readings older than the hours the engine holds is
		// rebuilt from it now and then, as the daemon does (Pending, RebuildStations).
		var trs []Transition
		every := max(64, len(rs)/7/8) // stale stations re-judged about 8 times in a long feed
		for b := 1; len(rs) > 0; b++ {
			n := min(7, len(rs))
			got := e.Observe(rs[:n])
			h.write(rs[:n], got)
			trs = stored(trs, got)
			rs = rs[n:]
			if p := e.Pending(); len(p) > 0 && (b%every == 0 || len(rs) == 0) {
				if err := e.RebuildStations(context.Background(), h, now, p); err != nil {
					t.Fatal(err)
				}
				got := e.Drain()
				h.write(nil, got)
				trs = stored(trs, got)
			}
		}
		if step.Now != "" { // the clock after the step's readings (they arrived as they were made)
			n, err := time.Parse(time.RFC3339, step.Now)
			if err != nil {
				t.Fatal(err)
			}
			now = n
		}
		if c.CloseDelay != "" { // the wall clock closes what the readings left open
			got := e.Tick(now)
			h.write(nil, got)
			trs = stored(trs, got)
		}
		if check {
			checkStep(t, i, e, &step, trs)
		}
	}
	return e.Stations()[0].Limits
}

// stored adds trs to what InfluxDB holds, as readers see it: a transition written again for
// the same limit and period end (re-judged) replaces the first, and a withdrawn one removes it.
func stored(held, trs []Transition) []Transition {
	for _, tr := range trs {
		i := slices.IndexFunc(held, func(o Transition) bool {
			return o.Station == tr.Station && o.Parameter == tr.Parameter && o.Regulation == tr.Regulation &&
				o.Period == tr.Period && o.WindowEnd.Equal(tr.WindowEnd)
		})
		switch {
		case tr.State == quantrac.ViolationWithdrawn && i >= 0:
			held = slices.Delete(held, i, i+1)
		case tr.State == quantrac.ViolationWithdrawn:
		case i < 0:
			held = append(held, tr)
		default:
			held[i] = tr
		}
	}
	slices.SortStableFunc(held, func(a, b Transition) int { return a.WindowEnd.Compare(b.WindowEnd) })
	return held
}

func checkStep(t *testing.T, i int, e *Engine, step *caseStep, trs []Transition) {
	t.Helper()
	st := e.Stations()[0]
	for _, x := range step.Expect {
		idx := slices.IndexFunc(st.Limits, func(l LimitStatus) bool {
			return l.Regulation == x.Regulation && l.Parameter == x.Parameter && l.Period == x.Period
		})
		if idx < 0 {
			t.Errorf("step %d: no limit %s %s %s at the station", i, x.Regulation, x.Parameter, x.Period)
			continue
		}
		got := st.Limits[idx]
		where := fmt.Sprintf("step %d: %s %s %s", i, x.Regulation, x.Parameter, x.Period)
		if x.State != "" && got.State != x.State {
			t.Errorf("%s: state %s, want %s (%+v)", where, got.State, x.State, got)
		}
		checkString(t, where+": statistic", got.Statistic, x.Statistic)
		if x.Reference != nil && got.Reference != *x.Reference {
			t.Errorf("%s: reference %q, want %q", where, got.Reference, *x.Reference)
		}
		checkBool(t, where+": violating", got.Violating, x.Violating)
		checkFloat(t, where+": value", got.Value, x.Value)
		checkFloat(t, where+": limit", got.Limit, x.Limit)
		checkFloat(t, where+": ratio", got.Ratio, x.Ratio)
		checkFloat(t, where+": coverage", got.Coverage, x.Coverage)
		checkInt(t, where+": count", got.Count, x.Count)
		checkTime(t, where+": window start", got.WindowStart, x.WindowStart)
		checkTime(t, where+": window end", got.WindowEnd, x.WindowEnd)
		checkInt(t, where+": exceedances", got.Exceedances, x.Exceedances)
		checkInt(t, where+": allowed", got.Allowed, x.Allowed)
		checkFloat(t, where+": exceedances_3y", got.Exceedances3y, x.Exceedances3y)
		checkFloat(t, where+": allowed_3y", got.Allowed3y, x.Allowed3y)
		checkProvisional(t, where, got.Provisional, x.Provisional)
	}
	if step.Up != nil && st.Up != *step.Up {
		t.Errorf("step %d: up %v, want %v", i, st.Up, *step.Up)
	}
	if step.Active != nil && len(e.Active()) != *step.Active {
		t.Errorf("step %d: %d active violations, want %d", i, len(e.Active()), *step.Active)
	}
	if step.Transitions == nil {
		return
	}
	want := *step.Transitions
	if len(trs) != len(want) {
		t.Errorf("step %d: %d transitions, want %d: %+v", i, len(trs), len(want), trs)
		return
	}
	for j, w := range want {
		g := trs[j]
		where := fmt.Sprintf("step %d: transition %d", i, j)
		if g.State != w.State || (w.Regulation != "" && g.Regulation != w.Regulation) ||
			(w.Parameter != "" && g.Parameter != w.Parameter) || (w.Period != "" && g.Period != w.Period) ||
			(w.Version != "" && g.Version != w.Version) || (w.Statistic != "" && g.Statistic != w.Statistic) ||
			(w.Reference != nil && g.Reference != *w.Reference) {
			t.Errorf("%s: got %+v, want %+v", where, g, w)
		}
		checkFloat(t, where+": value", g.Value, w.Value)
		checkFloat(t, where+": limit", g.Limit, w.Limit)
		checkFloat(t, where+": ratio", g.Ratio, w.Ratio)
		checkFloat(t, where+": coverage", g.Coverage, w.Coverage)
		checkInt(t, where+": count", g.Count, w.Count)
		checkTime(t, where+": window start", g.WindowStart, w.WindowStart)
		checkTime(t, where+": window end", g.WindowEnd, w.WindowEnd)
		checkInt(t, where+": exceedances", g.Exceedances, w.Exceedances)
		checkInt(t, where+": allowed", g.ExceedancesAllowed, w.Allowed)
		checkFloat(t, where+": exceedances_3y", g.Exceedances3y, w.Exceedances3y)
		checkFloat(t, where+": allowed_3y", g.ExceedancesAllowed3y, w.Allowed3y)
	}
}

func checkProvisional(t *testing.T, where string, got *PeriodStatus, want *expectPer) {
	t.Helper()
	switch {
	case want == nil:
	case want.State == "none":
		if got != nil {
			t.Errorf("%s: provisional %+v, want none", where, got)
		}
	case got == nil:
		t.Errorf("%s: no provisional period, want %+v", where, want)
	default:
		checkString(t, where+": provisional state", got.State, want.State)
		checkFloat(t, where+": provisional value", got.Value, want.Value)
		checkFloat(t, where+": provisional ratio", got.Ratio, want.Ratio)
		checkFloat(t, where+": provisional coverage", got.Coverage, want.Coverage)
		checkInt(t, where+": provisional count", got.Count, want.Count)
		checkTime(t, where+": provisional window end", got.WindowEnd, want.WindowEnd)
	}
}

func checkString(t *testing.T, what, got, want string) {
	t.Helper()
	if want != "" && got != want {
		t.Errorf("%s: %q, want %q", what, got, want)
	}
}

func checkTime(t *testing.T, what string, got time.Time, want *time.Time) {
	t.Helper()
	if want != nil && !got.Equal(*want) {
		t.Errorf("%s: %v, want %v", what, got, *want)
	}
}

func checkFloat(t *testing.T, what string, got float64, want *float64) {
	t.Helper()
	if want != nil && math.Abs(got-*want) > 1e-4*math.Max(1, math.Abs(*want)) {
		t.Errorf("%s: %v, want %v", what, got, *want)
	}
}

func checkInt(t *testing.T, what string, got int, want *int) {
	t.Helper()
	if want != nil && got != *want {
		t.Errorf("%s: %d, want %d", what, got, *want)
	}
}

func checkBool(t *testing.T, what string, got bool, want *bool) {
	t.Helper()
	if want != nil && got != *want {
		t.Errorf("%s: %v, want %v", what, got, *want)
	}
}

var caseFilter = flag.String("case", "", "run only the rule cases whose file name contains this")

// TestCases runs every rule case, then checks that feeding the same readings in reverse and
// in shuffled order ends with the same verdicts and evidence as feeding them in order.
func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, f := range files {
		if !bytes.Contains([]byte(filepath.Base(f)), []byte(*caseFilter)) {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, cat, reg := loadCase(t, f)
			want := runCase(t, c, cat, reg, "", true)
			flat := &testCase{Station: c.Station, CloseDelay: c.CloseDelay, Steps: []caseStep{{}}}
			for _, s := range c.Steps {
				flat.Steps[0].Feed = append(flat.Steps[0].Feed, s.Feed...)
				flat.Steps[0].Now = cmp.Or(s.Now, flat.Steps[0].Now)
			}
			for _, order := range []string{"in", "reverse", "shuffle"} {
				got := runCase(t, flat, cat, reg, order, false)
				for i := range want {
					if !sameVerdict(got[i], want[i]) {
						t.Errorf("%s order: %s %s %s: got %+v, want %+v", order, got[i].Regulation,
							got[i].Parameter, got[i].Period, got[i], want[i])
					}
				}
			}
		})
	}
}

// sameVerdict compares what the latest closed period, the period in progress and the
// exceedance figures say, not how the alert got there.
func sameVerdict(a, b LimitStatus) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(y)) }
	same := a.State == b.State && near(a.Value, b.Value) && near(a.Limit, b.Limit) && near(a.Ratio, b.Ratio) &&
		near(a.Coverage, b.Coverage) && a.Count == b.Count && a.WindowStart.Equal(b.WindowStart) &&
		a.WindowEnd.Equal(b.WindowEnd) && a.Version == b.Version && a.Reference == b.Reference &&
		a.Exceedances == b.Exceedances && a.Allowed == b.Allowed && near(a.Exceedances3y, b.Exceedances3y) &&
		near(a.Allowed3y, b.Allowed3y) && (a.Provisional == nil) == (b.Provisional == nil) &&
		(a.State != StateOK && a.State != StateExceeded || a.Violating == b.Violating)
	if same && a.Provisional != nil {
		p, q := a.Provisional, b.Provisional
		same = p.State == q.State && near(p.Value, q.Value) && near(p.Coverage, q.Coverage) && p.Count == q.Count &&
			p.WindowEnd.Equal(q.WindowEnd)
	}
	return same
}
