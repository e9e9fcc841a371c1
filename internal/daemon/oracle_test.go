package daemon

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

// The second implementation of the property test (property_test.go): a plain batch evaluator
// that reads a station's stored readings back from InfluxDB and computes its hours, periods,
// verdicts and exceedance episodes the obvious way, from the definitions of rules/README.md
// ("Evaluation"), without package rules' code. Whatever order or moment the readings came in,
// the engine's record must equal what it computes from what InfluxDB holds.

// oracleLimit is one limit the evaluator judges.
type oracleLimit struct {
	param, regulation, period string // period: sample, 1h, 8h or 24h
	max                       float64
}

func (l oracleLimit) key() string { return l.param + " " + l.regulation + " " + l.period }

// stored is one stored reading of one parameter.
type stored struct {
	t time.Time
	v float64
}

// evidence is the verdict of a period, or a violations point (state started or ended).
type evidence struct {
	state, episode  string
	value, coverage float64
	count           int
	start, end      time.Time
}

func (e evidence) String() string {
	return fmt.Sprintf("%s episode=%s value=%v coverage=%v count=%d window=(%s, %s]", e.state, e.episode, e.value,
		e.coverage, e.count, e.start.UTC().Format(time.RFC3339), e.end.UTC().Format(time.RFC3339))
}

// oracle evaluates one station: its local clock, reading interval, and the instant up to
// which periods are closed.
type oracle struct {
	loc      *time.Location
	interval time.Duration
	closeAt  time.Time
}

// Validity thresholds (rules/README.md "Evaluation"): 75 % of an hour's slots, 6 of 8 hours,
// 18 of a day's 24.
const (
	oracleCapture = 0.75
	oracleNeed8   = 6
)

// hourAgg is one clock hour of readings.
type hourAgg struct {
	n     int
	sum   float64
	slots map[int]bool
}

// hourEnd returns the end of the local clock hour holding t: a reading stamped exactly on the
// hour belongs to the hour it ends.
func (o *oracle) hourEnd(t time.Time) time.Time {
	lt := t.In(o.loc)
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, o.loc)
	if start.Equal(t) {
		return start
	}
	return start.Add(time.Hour)
}

// lastClosedHour returns the end of the newest hour closed at closeAt.
func (o *oracle) lastClosedHour() time.Time {
	lt := o.closeAt.In(o.loc)
	return time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, o.loc)
}

// slotsPerHour is ceil(1 h ÷ interval).
func (o *oracle) slotsPerHour() int {
	return int((time.Hour + o.interval - 1) / o.interval)
}

// hours folds the readings (time order) into their clock hours, keyed by the hour's end.
func (o *oracle) hours(rs []stored) map[int64]*hourAgg {
	hs := map[int64]*hourAgg{}
	for _, r := range rs {
		end := o.hourEnd(r.t)
		h := hs[end.Unix()]
		if h == nil {
			h = &hourAgg{slots: map[int]bool{}}
			hs[end.Unix()] = h
		}
		h.n++
		h.sum += r.v
		off := r.t.Sub(end.Add(-time.Hour))
		k := int((off + o.interval/2) / o.interval)
		h.slots[min(max(k, 1), o.slotsPerHour())] = true
	}
	return hs
}

func (h *hourAgg) mean() float64 { return round12(h.sum / float64(h.n)) }

func (o *oracle) valid(h *hourAgg) bool {
	return h != nil && h.n > 0 && o.capture(h)+1e-9 >= oracleCapture
}

func (o *oracle) capture(h *hourAgg) float64 {
	if h == nil {
		return 0
	}
	return float64(len(h.slots)) / float64(o.slotsPerHour())
}

// judge completes a period with count and coverage set: no_data, insufficient_data, or the
// mean compared with the limit.
func judge(e evidence, mean float64, need float64, l oracleLimit) evidence {
	switch {
	case e.count == 0:
		e.state = "no_data"
	case e.coverage+1e-9 < need:
		e.state = "insufficient_data"
	default:
		e.value = round12(mean)
		e.state = "ok"
		if e.value/l.max > 1 {
			e.state = "exceeded"
		}
	}
	return e
}

// hour evaluates the hour ending at end: its readings' mean, valid at 75 % capture.
func (o *oracle) hour(hs map[int64]*hourAgg, end time.Time, l oracleLimit) evidence {
	e := evidence{start: end.Add(-time.Hour), end: end}
	h := hs[end.Unix()]
	if h == nil {
		return judge(e, 0, oracleCapture, l)
	}
	e.count, e.coverage = h.n, o.capture(h)
	return judge(e, h.mean(), oracleCapture, l)
}

// meanOfHours evaluates the period (start, end] as the mean of its valid hourly means.
func (o *oracle) meanOfHours(hs map[int64]*hourAgg, start, end time.Time, l oracleLimit) evidence {
	e := evidence{start: start, end: end}
	n, sum := 0, 0.0
	for h := start.Add(time.Hour); !h.After(end); h = h.Add(time.Hour) {
		if a := hs[h.Unix()]; o.valid(a) {
			n++
			sum += a.mean()
		}
	}
	e.count, e.coverage = n, float64(n)/end.Sub(start).Hours()
	if n == 0 {
		return judge(e, 0, oracleCapture, l)
	}
	return judge(e, sum/float64(n), oracleCapture, l)
}

// dayBounds returns the local day holding the hour that ends at end: hours ending 01:00 …
// 24:00.
func (o *oracle) dayBounds(end time.Time) (start, stop time.Time) {
	lt := end.Add(-time.Nanosecond).In(o.loc)
	start = time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, o.loc)
	return start, start.AddDate(0, 0, 1)
}

// periods returns limit l's closed periods over the readings rs (time order), in time order,
// and the latest closed one (the one a station's status is about).
func (o *oracle) periods(l oracleLimit, rs []stored) (all []evidence, latest evidence) {
	if l.period == "sample" { // every reading is a period
		latest = evidence{state: "no_data"}
		for _, r := range rs {
			latest = judge(evidence{start: r.t, end: r.t, count: 1, coverage: 1}, r.v, 0, l)
			all = append(all, latest)
		}
		return all, latest
	}
	eval, next := o.clock(l, o.hours(rs))
	last := o.lastClosedHour()
	if l.period == "24h" {
		last, _ = o.dayBounds(last.Add(time.Nanosecond)) // the newest day ending at or before closeAt
	}
	if len(rs) > 0 {
		for end := next(o.hourEnd(rs[0].t).Add(-time.Hour)); !end.After(last); end = next(end) {
			all = append(all, eval(end))
		}
	}
	return all, eval(last)
}

// clock returns how limit l evaluates the period ending at end over the hours hs, and the
// end of the period after the one ending at end (hours, or local days of 23 to 25 hours).
func (o *oracle) clock(l oracleLimit, hs map[int64]*hourAgg) (eval func(end time.Time) evidence, next func(end time.Time) time.Time) {
	switch l.period {
	case "1h":
		return func(end time.Time) evidence { return o.hour(hs, end, l) },
			func(end time.Time) time.Time { return end.Add(time.Hour) }
	case "8h":
		return func(end time.Time) evidence { return o.meanOfHours(hs, end.Add(-8*time.Hour), end, l) },
			func(end time.Time) time.Time { return end.Add(time.Hour) }
	}
	return func(end time.Time) evidence {
			start, stop := o.dayBounds(end)
			return o.meanOfHours(hs, start, stop, l)
		}, func(end time.Time) time.Time {
			_, stop := o.dayBounds(end.Add(time.Hour))
			return stop
		}
}

// episodes derives the violations points from a limit's periods in time order: inactive →
// started on an exceeded period (the episode named by its end); violating → ended on the
// next period inside the limit. Periods without a verdict change nothing.
func episodes(ps []evidence) []evidence {
	var out []evidence
	open := ""
	for _, p := range ps {
		switch {
		case p.state == "exceeded" && open == "":
			open = p.end.UTC().Format(time.RFC3339Nano)
			p.state, p.episode = "started", open
			out = append(out, p)
		case p.state == "ok" && open != "":
			p.state, p.episode = "ended", open
			out = append(out, p)
			open = ""
		}
	}
	return out
}

// round12 rounds to 12 significant digits, as the engine does before comparing.
func round12(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow10(11 - int(math.Floor(math.Log10(math.Abs(x)))))
	return math.Round(x*p) / p
}

// storedSamples reads a station's stored readings of one parameter from InfluxDB, in time
// order: one per timestamp, as InfluxDB keeps a point per time. Readings a data-quality span
// of qc_spans makes invalid are left out.
func (s *stack) storedSamples(t *testing.T, kind, station, param string) []stored {
	t.Helper()
	spans := s.storedSpans(station)
	var out []stored
	for _, ser := range s.influx.Query("quantrac", fmt.Sprintf(`SELECT * FROM %q WHERE "station" = '%s'`, kind, station)) {
		for _, row := range ser.Rows() {
			if v, ok := row[param].(float64); ok && !spans.Invalid(param, rowTime(t, row)) {
				out = append(out, stored{rowTime(t, row), v})
			}
		}
	}
	return out
}

// storedSpans reads a station's data-quality spans from qc_spans.
func (s *stack) storedSpans(station string) quantrac.QCSpans {
	var out quantrac.QCSpans
	for _, ser := range s.influx.Query("quantrac", fmt.Sprintf(`SELECT * FROM "qc_spans" WHERE "station" = '%s'`, station)) {
		for _, row := range ser.Rows() {
			str := func(k string) string { v, _ := row[k].(string); return v }
			at := func(k string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, str(k)); return tm }
			out = append(out, quantrac.QCSpan{ID: str("id"), Station: station, Parameter: str("parameter"), Action: str("action"),
				From: at("from"), To: at("to"), CreatedAt: at("created_at"), RevokedBy: str("revoked_by"), RevokedAt: at("revoked_at")})
		}
	}
	return out
}

// oracleStation is a station the evaluator judges.
type oracleStation struct {
	id, kind string
	limits   []oracleLimit
}

// judgment is what the evaluator computes for a station: its record (violations points by
// limit and window end), every closed period by the same key, and the latest closed period
// of each limit.
type judgment struct {
	record, periods, latest map[string]evidence
}

// expected computes a station's judgment from its stored readings.
func (s *stack) expected(t *testing.T, st oracleStation, o *oracle) judgment {
	t.Helper()
	j := judgment{record: map[string]evidence{}, periods: map[string]evidence{}, latest: map[string]evidence{}}
	for _, l := range st.limits {
		all, last := o.periods(l, s.storedSamples(t, st.kind, st.id, l.param))
		for _, p := range all {
			j.periods[pointID(l.key(), p.end)] = p
		}
		for _, p := range episodes(all) {
			j.record[pointID(l.key(), p.end)] = p
		}
		j.latest[l.key()] = last
	}
	return j
}

func pointID(limit string, end time.Time) string {
	return limit + " @ " + end.UTC().Format(time.RFC3339)
}

// engineRecord reads the station's violations points that readers consider (not withdrawn).
func (s *stack) engineRecord(t *testing.T, station string) map[string]evidence {
	t.Helper()
	out := map[string]evidence{}
	for _, ser := range s.influx.Query("quantrac", fmt.Sprintf(`SELECT * FROM "violations" WHERE "station" = '%s'`, station)) {
		for _, row := range ser.Rows() {
			if row["state"] == "withdrawn" {
				continue
			}
			str := func(k string) string { v, _ := row[k].(string); return v }
			num := func(k string) float64 { v, _ := row[k].(float64); return v }
			at := func(k string) time.Time { tm, _ := time.Parse(time.RFC3339, str(k)); return tm }
			e := evidence{state: str("state"), episode: str("episode"), value: num("value"), coverage: num("coverage"),
				count: int(num("count")), start: at("window_start"), end: at("window_end")}
			out[pointID(str("parameter")+" "+str("regulation")+" "+str("period"), rowTime(t, row))] = e
		}
	}
	return out
}

// engineLatest reads the latest closed period of each limit from /api/v1/stations/{id}.
func (s *stack) engineLatest(t *testing.T, station string) (map[string]evidence, error) {
	var doc struct {
		Limits []struct {
			Parameter, Regulation, Period, State string
			Value, Coverage                      float64
			Count                                int
			WindowEnd                            time.Time `json:"window_end"`
		} `json:"limits"`
	}
	body := s.get(t, "/api/v1/stations/"+station)
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, fmt.Errorf("station %s: %w: %q", station, err, body)
	}
	out := map[string]evidence{}
	for _, l := range doc.Limits {
		out[l.Parameter+" "+l.Regulation+" "+l.Period] = evidence{state: l.State, value: l.Value, coverage: l.Coverage,
			count: l.Count, end: l.WindowEnd}
	}
	return out, nil
}

// near reports whether a and b agree to a relative 1e-9.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// diffRecords lists how the engine's violations points differ from the evaluator's, each
// with the evaluator's verdict of the period.
func diffRecords(engine map[string]evidence, want judgment) []string {
	var out []string
	keys := slices.Compact(slices.Sorted(func(yield func(string) bool) {
		for k := range engine {
			if !yield(k) {
				return
			}
		}
		for k := range want.record {
			if !yield(k) {
				return
			}
		}
	}))
	for _, k := range keys {
		e, inEngine := engine[k]
		w, inWant := want.record[k]
		var d string
		switch {
		case !inEngine:
			d = fmt.Sprintf("violations %s: engine has none, evaluator %v", k, w)
		case !inWant:
			d = fmt.Sprintf("violations %s: engine %v, evaluator has none", k, e)
		case e.state != w.state || e.episode != w.episode || !near(e.value, w.value) || !near(e.coverage, w.coverage) ||
			e.count != w.count || !e.start.Equal(w.start) || !e.end.Equal(w.end):
			d = fmt.Sprintf("violations %s:\n\tengine    %v\n\tevaluator %v", k, e, w)
		default:
			continue
		}
		if p, ok := want.periods[k]; ok && !inWant {
			d += fmt.Sprintf("\n\tthe evaluator's period: %v", p)
		}
		out = append(out, d)
	}
	return out
}

// diffLatest lists how the API's latest closed periods differ from the evaluator's.
func diffLatest(engine, want map[string]evidence) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		e, w := engine[k], want[k]
		wantEnd := w.end
		if w.state == "no_data" {
			wantEnd = time.Time{} // a period without data shows no window
		}
		if e.state != w.state || !near(e.value, w.value) || !near(e.coverage, w.coverage) || e.count != w.count ||
			!e.end.Equal(wantEnd) {
			out = append(out, fmt.Sprintf("latest closed %s:\n\tengine    %s value=%v coverage=%v count=%d end=%s\n\tevaluator %s value=%v coverage=%v count=%d end=%s",
				k, e.state, e.value, e.coverage, e.count, e.end.UTC().Format(time.RFC3339),
				w.state, w.value, w.coverage, w.count, wantEnd.UTC().Format(time.RFC3339)))
		}
	}
	return out
}

// diffReports lists how the monthly reports' counts of exceedances that started in the month
// (/api/v1/reports/{month}?station=) differ from the evaluator's record, for each local month
// the record touches.
func (s *stack) diffReports(t *testing.T, st oracleStation, o *oracle, j judgment) []string {
	months := map[string]bool{}
	for _, e := range j.record {
		months[e.end.Add(-time.Nanosecond).In(o.loc).Format("2006-01")] = true
	}
	var out []string
	for _, m := range slices.Sorted(maps.Keys(months)) {
		var doc struct {
			Stations []struct {
				From, To time.Time
				Limits   []struct {
					Regulation, Parameter, Period string
					Started                       int `json:"violations_started"`
				}
			}
		}
		body := s.get(t, "/api/v1/reports/"+m+"?station="+st.id)
		if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Stations) != 1 {
			out = append(out, fmt.Sprintf("report %s of %s: %v: %.200q", m, st.id, err, body))
			continue
		}
		rs := doc.Stations[0]
		for _, l := range rs.Limits {
			key, want := l.Parameter+" "+l.Regulation+" "+l.Period, 0
			for k, e := range j.record {
				if strings.HasPrefix(k, key+" @ ") && e.state == "started" && e.end.After(rs.From) && !e.end.After(rs.To) {
					want++
				}
			}
			if l.Started != want {
				out = append(out, fmt.Sprintf("report %s, %s: %d exceedances started in the month, evaluator %d", m, key, l.Started, want))
			}
		}
	}
	return out
}

// compareStation returns the differences between the engine's record and status of a station
// and what the evaluator computes from its stored readings (none when they agree), and the
// number of violations points the evaluator expects.
func (s *stack) compareStation(t *testing.T, st oracleStation, o *oracle) ([]string, int) {
	t.Helper()
	j := s.expected(t, st, o)
	diff := diffRecords(s.engineRecord(t, st.id), j)
	api, err := s.engineLatest(t, st.id)
	if err != nil {
		return append(diff, err.Error()), len(j.record)
	}
	diff = append(diff, diffLatest(api, j.latest)...)
	return append(diff, s.diffReports(t, st, o, j)...), len(j.record)
}

// TestOracleDefinitions pins the evaluator's own definitions on hand-made hours, so that a
// disagreement in the property test is the engine's or the evaluator's by reading, not guessing.
func TestOracleDefinitions(t *testing.T) {
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, ict)
	o := &oracle{loc: ict, interval: 5 * time.Minute, closeAt: day.Add(48 * time.Hour)}
	if got := o.hourEnd(day.Add(time.Hour)); !got.Equal(day.Add(time.Hour)) {
		t.Errorf("a reading on the hour belongs to hour ending %v, want the hour it ends", got)
	}
	if got := o.hourEnd(day.Add(time.Hour + time.Second)); !got.Equal(day.Add(2 * time.Hour)) {
		t.Errorf("a reading a second after the hour belongs to hour ending %v", got)
	}
	var rs []stored
	for i := 1; i <= 9; i++ { // the hour ending 01:00: 9 of 12 slots, two of them with jitter
		rs = append(rs, stored{day.Add(time.Duration(i)*5*time.Minute + time.Duration(i%3-1)*2*time.Second), 60})
	}
	rs = append(rs, stored{day.Add(46 * time.Minute), 60}) // a second reading in slot 9
	for i := 1; i <= 8; i++ {                              // the hour ending 02:00: 8 of 12, below capture
		rs = append(rs, stored{day.Add(time.Hour + time.Duration(i)*5*time.Minute), 100})
	}
	l1 := oracleLimit{"pm25", "ORACLE", "1h", 50}
	all, _ := o.periods(l1, rs)
	if len(all) < 2 || all[0].state != "exceeded" || all[0].count != 10 || all[0].coverage != 0.75 || all[1].state != "insufficient_data" {
		t.Fatalf("hours = %v", all)
	}
	eps := episodes(append(all, evidence{state: "ok", end: day.Add(5 * time.Hour)}))
	if len(eps) != 2 || eps[0].episode != "2026-11-19T18:00:00Z" || eps[1].state != "ended" || eps[1].episode != eps[0].episode {
		t.Errorf("episodes = %v", eps)
	}
	_, latest := o.periods(oracleLimit{"pm25", "ORACLE", "24h", 45}, rs)
	if latest.state != "no_data" || !latest.end.Equal(day.Add(48*time.Hour)) {
		t.Errorf("latest closed day = %v, want the day ending at closeAt without data", latest)
	}
	for x, want := range map[float64]float64{1.0000000000004: 1, 123.4567890123456: 123.456789012, 0.1 + 0.2: 0.3} {
		if got := round12(x); got != want {
			t.Errorf("round12(%v) = %v, want %v", x, got, want)
		}
	}
	if !strings.Contains(evidence{state: "ok"}.String(), "ok") {
		t.Error("evidence does not print its state")
	}
}
