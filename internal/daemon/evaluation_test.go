package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/testenv"
)

// The scenarios in which verdicts used to follow the order and moment readings arrived in
// rather than the stored readings (README "Evaluation"): each is a station of one stack, on
// real Mosquitto and InfluxDB, and each ends with the evRecord the regulation's definition gives.
const evaluationStations = `stations:
  - {id: O-IN, kind: air, regulations: [QCVN-05:2023]}
  - {id: O-REV, kind: air, regulations: [QCVN-05:2023]}
  - {id: O-SHUF, kind: air, regulations: [QCVN-05:2023]}
  - {id: BF, kind: air, regulations: [QCVN-05:2023]}
  - {id: LH, kind: air, regulations: [QCVN-05:2023]}
  - {id: SI, kind: air, regulations: [QCVN-05:2023]}
  - {id: JD, kind: air, regulations: [QCVN-05:2023]}
  - {id: EV, kind: air, regulations: [QCVN-05:2023]}
  - {id: QQ, kind: air, regulations: [QCVN-05:2023]}
  - id: WW
    kind: wastewater
    limits: [{parameter: cod, max: 75, unit: mg/L}]
`

// evRecord is a non-withdrawn violations point, as the tests compare them.
type evRecord struct {
	Parameter, Period, State string
	End                      time.Time
	Value, Coverage          float64
	Count                    int
}

func (r evRecord) String() string {
	return fmt.Sprintf("%s %s %s at %s: value %g coverage %.4g count %d", r.Parameter, r.Period, r.State,
		r.End.UTC().Format(time.RFC3339), r.Value, r.Coverage, r.Count)
}

// storedRecord returns a station's non-withdrawn violations points in time order.
func storedRecord(t *testing.T, in *testenv.Influx, station string) []evRecord {
	t.Helper()
	var out []evRecord
	for _, s := range in.Query("quantrac", fmt.Sprintf(`SELECT "state", "value", "coverage", "count" FROM "violations"
		WHERE "station" = '%s' AND "state" != 'withdrawn' GROUP BY "parameter", "period"`, station)) {
		for _, row := range s.Rows() {
			end, _ := time.Parse(time.RFC3339Nano, row["time"].(string))
			r := evRecord{Parameter: s.Tags["parameter"], Period: s.Tags["period"], End: end}
			r.State, _ = row["state"].(string)
			r.Value, _ = row["value"].(float64)
			r.Coverage, _ = row["coverage"].(float64)
			c, _ := row["count"].(float64)
			r.Count = int(c)
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b evRecord) int {
		return cmpOr(a.End.Compare(b.End), strings.Compare(a.Parameter+a.Period, b.Parameter+b.Period))
	})
	return out
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// reading is one JSON evRecord of a station.
type reading struct {
	at     time.Time
	values map[string]float64
}

func (r reading) json() string {
	b, _ := json.Marshal(map[string]any{"time": r.at.Format(time.RFC3339Nano), "readings": r.values})
	return string(b)
}

// series returns n readings of param every step from first, valued by v(i).
func series(first time.Time, step time.Duration, n int, v func(i int) map[string]float64) []reading {
	out := make([]reading, n)
	for i := range out {
		out[i] = reading{at: first.Add(time.Duration(i) * step), values: v(i)}
	}
	return out
}

// sendEach publishes every reading as its own QoS 1 message, in the order given.
func sendEach(t *testing.T, brokerURL, topic string, rs []reading) {
	t.Helper()
	payloads := make([]string, len(rs))
	for i, r := range rs {
		payloads[i] = r.json()
	}
	sendPayloads(t, brokerURL, topic, payloads)
}

// sendPayloads publishes payloads at QoS 1 in order on one connection.
func sendPayloads(t *testing.T, brokerURL, topic string, payloads []string) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("station-" + topic))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	toks := make([]mqtt.Token, 0, len(payloads))
	for _, p := range payloads {
		toks = append(toks, c.Publish(topic, 1, false, p))
	}
	for _, tok := range toks {
		if tok.Wait(); tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
}

// array is one message carrying rs as a JSON array, in the order given (a backlog).
func array(rs []reading) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.json()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// quiet waits until every reading sent is in InfluxDB, no station waits to be re-judged and
// nothing waits to be written, for three looks in a row a few ticks apart.
func quiet(t *testing.T, s *stack, readings int) {
	t.Helper()
	calm := 0
	testenv.Eventually(t, 2*time.Minute, func() (bool, string) {
		n := storedValues(t, s.influx, "air") + storedValues(t, s.influx, "wastewater")
		stale := s.d.engine.Pending()
		pending, _ := metricValue(s.get(t, "/metrics"), "quantrac_points_pending")
		if n >= readings && len(stale) == 0 && pending == 0 {
			calm++
		} else {
			calm = 0
		}
		time.Sleep(300 * time.Millisecond) // looks a few ticks apart
		return calm >= 3, fmt.Sprintf("%d of %d readings stored, stale %v, %v points pending", n, readings, stale, pending)
	})
}

func TestVerdictsFollowTheStoredReadings(t *testing.T) {
	var proxy *testenv.FaultProxy
	s := startStackTuned(t, evaluationStations, func(c *config.Config) {
		proxy = testenv.NewFaultProxy(t, c.Influx.URL)
		c.Influx.URL = proxy.URL()
	}, func(d *Daemon) {
		d.staleEvery = 150 * time.Millisecond
		d.engine.SetCloseDelay(3 * time.Second) // a station silent for 3 s has its periods closed
	})
	// InfluxDB refuses QQ's NO2 readings at 300 for good (as it would a field type conflict):
	// they end quarantined, and must count in no verdict.
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.URL.Path != "/api/v2/write" || !bytes.Contains(body, []byte("air,station=QQ no2=300")) {
			return false
		}
		http.Error(w, `{"code":"invalid","message":"partial write: field type conflict"}`, http.StatusBadRequest)
		return true
	})
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	l := time.Now().In(ict)
	d0 := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ict) // today, local
	day := func(n int) time.Time { return d0.AddDate(0, 0, n) }
	url := s.broker.URL()
	sent := 0
	send := func(topic string, rs []reading) { sendEach(t, url, topic, rs); sent += countValues(rs) }

	// Order: the same two days sent in order, newest first and shuffled. Day 1 PM2.5 at 70
	// (24-h limit 45), day 2 at 20; NO2 at 50 but for one hour at 320 (1-h limit 200).
	d1 := day(-4)
	twoDays := series(d1.Add(5*time.Minute), 5*time.Minute, 576, func(i int) map[string]float64 {
		pm, no2 := 70.0, 50.0
		if i >= 288 {
			pm = 20
		}
		if i >= 108 && i < 120 { // the hour ending 10:00
			no2 = 320
		}
		return map[string]float64{"pm25": pm, "no2": no2}
	})
	send("stations/O-IN/air", twoDays)
	send("stations/O-REV/air", reversed(twoDays))
	send("stations/O-SHUF/air", shuffled(twoDays, 7))

	// Backfill: two days at 20, then the day before them at 80.
	newer := series(day(-3).Add(5*time.Minute), 5*time.Minute, 576, constant("pm25", 20))
	send("stations/BF/air", newer)
	older := series(day(-4).Add(5*time.Minute), 5*time.Minute, 288, constant("pm25", 80))

	// Late hour: NO2 at 50 from 00:05 to 12:00, the hour ending 05:00 sent last at 300.
	lhDay := day(-2)
	lh := series(lhDay.Add(5*time.Minute), 5*time.Minute, 144, constant("no2", 50))
	lateHour := slices.Clone(lh[48:60])
	for i := range lateHour {
		lateHour[i].values = map[string]float64{"no2": 300}
	}
	send("stations/LH/air", slices.Concat(lh[:48], lh[60:]))

	// Newest-first sample backlog: COD 60, 210, 60 (permit max 75) in one message, newest first.
	wwT := day(-2).Add(10 * time.Hour)
	ww := series(wwT, 5*time.Minute, 3, func(i int) map[string]float64 { return map[string]float64{"cod": []float64{60, 210, 60}[i]} })
	sendPayloads(t, url, "stations/WW/wastewater", []string{array(reversed(ww))})
	sent += 3

	// Silence: 19 hours of PM2.5 at 80, then nothing.
	send("stations/SI/air", series(day(-2).Add(5*time.Minute), 5*time.Minute, 19*12, constant("pm25", 80)))

	// Two readings per slot (hour ending 03:00, mean 550), clock jitter of ±2 s (hour ending
	// 05:00, mean 250), an hour at 50 ending the episode (06:00).
	jd := day(-2)
	var jdr []reading
	for k := 1; k <= 12; k++ {
		at := jd.Add(2*time.Hour + time.Duration(k)*5*time.Minute)
		jdr = append(jdr, reading{at.Add(-time.Minute), map[string]float64{"no2": 500}}, reading{at, map[string]float64{"no2": 600}})
	}
	for k := 1; k <= 12; k++ {
		jitter := time.Duration(2*(k%2)-1) * 2 * time.Second
		if k == 12 {
			jitter = -2 * time.Second // stays in its hour
		}
		jdr = append(jdr, reading{jd.Add(4*time.Hour + time.Duration(k)*5*time.Minute + jitter), map[string]float64{"no2": 250}})
	}
	jdr = append(jdr, series(jd.Add(5*time.Hour+5*time.Minute), 5*time.Minute, 12, constant("no2", 50))...)
	send("stations/JD/air", jdr)

	// Evidence: the day before yesterday at 60, yesterday at 20 until 22:00, then silence: the
	// wall clock closes yesterday on its 22 hours, and its evidence is the same after a restart.
	send("stations/EV/air", slices.Concat(
		series(day(-2).Add(5*time.Minute), 5*time.Minute, 288, constant("pm25", 60)),
		series(day(-1).Add(5*time.Minute), 5*time.Minute, 22*12, constant("pm25", 20))))

	// Quarantined: NO2 at 50, an hour at 300 that InfluxDB refuses, then 50 again.
	qq := series(day(-2).Add(5*time.Minute), 5*time.Minute, 36, func(i int) map[string]float64 {
		if i >= 12 && i < 24 {
			return map[string]float64{"no2": 300}
		}
		return map[string]float64{"no2": 50}
	})
	sendEach(t, url, "stations/QQ/air", qq)
	sent += 24

	quiet(t, s, sent)
	send("stations/BF/air", older) // after the newer days are stored
	send("stations/LH/air", lateHour)
	quiet(t, s, sent)

	check := func(when string) {
		t.Helper()
		in := storedRecord(t, s.influx, "O-IN")
		want := []evRecord{
			{"no2", "1h", "started", d1.Add(10 * time.Hour), 320, 1, 12},
			{"no2", "1h", "ended", d1.Add(11 * time.Hour), 50, 1, 12},
			{"pm25", "24h", "started", d1.AddDate(0, 0, 1), 70, 1, 24},
			{"pm25", "24h", "ended", d1.AddDate(0, 0, 2), 20, 1, 24},
		}
		expectRecord(t, when+": in order", in, want)
		expectRecord(t, when+": newest first", storedRecord(t, s.influx, "O-REV"), want)
		expectRecord(t, when+": shuffled", storedRecord(t, s.influx, "O-SHUF"), want)
		expectRecord(t, when+": backfilled day", storedRecord(t, s.influx, "BF"), []evRecord{
			{"pm25", "24h", "started", day(-3), 80, 1, 24},
			{"pm25", "24h", "ended", day(-2), 20, 1, 24},
		})
		expectRecord(t, when+": late hour", storedRecord(t, s.influx, "LH"), []evRecord{
			{"no2", "1h", "started", lhDay.Add(5 * time.Hour), 300, 1, 12},
			{"no2", "1h", "ended", lhDay.Add(6 * time.Hour), 50, 1, 12},
		})
		expectRecord(t, when+": newest-first sample", storedRecord(t, s.influx, "WW"), []evRecord{
			{"cod", "sample", "started", wwT.Add(5 * time.Minute), 210, 1, 1},
			{"cod", "sample", "ended", wwT.Add(10 * time.Minute), 60, 1, 1},
		})
		expectRecord(t, when+": silent station", storedRecord(t, s.influx, "SI"), []evRecord{
			{"pm25", "24h", "started", day(-1), 80, 19.0 / 24, 19},
		})
		expectRecord(t, when+": readings per slot and jitter", storedRecord(t, s.influx, "JD"), []evRecord{
			{"no2", "1h", "started", jd.Add(3 * time.Hour), 550, 1, 24},
			{"no2", "1h", "ended", jd.Add(6 * time.Hour), 50, 1, 12},
		})
		expectRecord(t, when+": quarantined readings", storedRecord(t, s.influx, "QQ"), nil)
		expectRecord(t, when+": evidence", storedRecord(t, s.influx, "EV"), []evRecord{
			{"pm25", "24h", "started", day(-1), 60, 1, 24},
			{"pm25", "24h", "ended", d0, 20, 22.0 / 24, 22},
		})
		expectLatest(t, when+": evidence of the latest closed day", s, "EV", "pm25", "24h",
			latestPeriod{State: "ok", Value: 20, Coverage: 22.0 / 24, Count: 22, WindowEnd: d0})
	}
	check("live")
	if n := s.influx.Count("quantrac", `SELECT count("payload") FROM "rejected_messages" WHERE "station" = 'QQ'`); n != 12 {
		t.Errorf("QQ: %d quarantine entries, want the 12 refused readings", n)
	}
	if n := s.influx.Count("quantrac", `SELECT count("no2") FROM "air" WHERE "station" = 'JD'`); n != 48 {
		t.Errorf("JD: %d NO2 readings stored, want 48 (every distinct time a point)", n)
	}
	s.restart(t)
	quiet(t, s, sent)
	check("after a restart")
}

// latestPeriod is what /api/v1/stations/{id} shows of a limit's latest closed period.
type latestPeriod struct {
	State     string    `json:"state"`
	Value     float64   `json:"value"`
	Coverage  float64   `json:"coverage"`
	Count     int       `json:"count"`
	WindowEnd time.Time `json:"window_end"`
}

func expectLatest(t *testing.T, what string, s *stack, station, param, period string, want latestPeriod) {
	t.Helper()
	g, ok := limitOf(t, s, station, param, period)
	if !ok {
		t.Errorf("%s: no %s %s limit at %s", what, param, period, station)
		return
	}
	if g.State != want.State || !near(g.Value, want.Value) || !near(g.Coverage, want.Coverage) || g.Count != want.Count ||
		!g.WindowEnd.Equal(want.WindowEnd) {
		t.Errorf("%s: %+v, want %+v", what, g, want)
	}
}

func expectRecord(t *testing.T, what string, got, want []evRecord) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		g, w := got[i], want[i]
		ok = g.Parameter == w.Parameter && g.Period == w.Period && g.State == w.State && g.End.Equal(w.End) &&
			near(g.Value, w.Value) && near(g.Coverage, w.Coverage) && g.Count == w.Count
	}
	if !ok {
		t.Errorf("%s: evRecord\n%v\nwant\n%v", what, got, want)
	}
}

func constant(param string, v float64) func(int) map[string]float64 {
	return func(int) map[string]float64 { return map[string]float64{param: v} }
}

func reversed(rs []reading) []reading {
	out := slices.Clone(rs)
	slices.Reverse(out)
	return out
}

func shuffled(rs []reading, seed uint64) []reading {
	out := slices.Clone(rs)
	rand.New(rand.NewPCG(seed, seed)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// storedValues counts the values of every field of a measurement.
func storedValues(t *testing.T, in *testenv.Influx, measurement string) int {
	t.Helper()
	n := 0
	for _, s := range in.Query("quantrac", `SELECT count(*) FROM "`+measurement+`"`) {
		for _, row := range s.Values {
			for _, v := range row[1:] {
				if f, ok := v.(float64); ok {
					n += int(f)
				}
			}
		}
	}
	return n
}

func countValues(rs []reading) int {
	n := 0
	for _, r := range rs {
		n += len(r.values)
	}
	return n
}

// US NAAQS 24-h PM2.5 is judged on its design value (40 CFR 50 Appendix N): three years with
// eight days a year at 35.4 µg/m³ give 35.4, rounded to 35, which meets the level of 35; at
// 35.6 the design value rounds to 36 and exceeds it. The years are stored before quantrac
// starts: the verdict is what its rebuild from InfluxDB gives.
func TestUSDesignValuesFromStoredYears(t *testing.T) {
	s := startStack(t, `stations:
  - {id: US-1, kind: air, interval: 1h, timezone: UTC, regulations: [US-NAAQS]}
  - {id: US-2, kind: air, interval: 1h, timezone: UTC, regulations: [US-NAAQS]}
`, nil)
	now := time.Now().UTC()
	year := now.Year()
	first := time.Date(year-3, 1, 1, 0, 0, 0, 0, time.UTC)
	yesterday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for station, high := range map[string]float64{"US-1": 35.4, "US-2": 35.6} {
		var lines strings.Builder
		n := 0
		for at := first.Add(time.Hour); !at.After(yesterday); at = at.Add(time.Hour) {
			v := 10.0
			if d := at.Add(-time.Hour); at.Year() < year && d.Month() == time.April && d.Day() >= 11 && d.Day() <= 18 {
				v = high
			}
			fmt.Fprintf(&lines, "air,station=%s pm25=%g %d\n", station, v, at.UnixNano())
			if n++; n%10000 == 0 {
				s.influx.Write("quantrac/autogen", lines.String())
				lines.Reset()
			}
		}
		s.influx.Write("quantrac/autogen", lines.String())
	}
	s.restart(t) // the rebuild reads the stored years
	for station, want := range map[string]latestPeriod{
		"US-1": {State: "ok", Value: 35.4}, "US-2": {State: "exceeded", Value: 35.6},
	} {
		testenv.Eventually(t, 30*time.Second, func() (bool, string) {
			got, ok := limitOf(t, s, station, "pm25", "24h")
			return ok && got.State == want.State && near(got.Value, want.Value),
				fmt.Sprintf("%s: %+v, want state %s value %v", station, got, want.State, want.Value)
		})
	}
}

// limitOf returns what /api/v1/stations/{id} shows of a limit's latest closed period.
func limitOf(t *testing.T, s *stack, station, param, period string) (latestPeriod, bool) {
	t.Helper()
	var body struct {
		Limits []struct {
			Parameter string `json:"parameter"`
			Period    string `json:"period"`
			latestPeriod
		} `json:"limits"`
	}
	if err := json.Unmarshal([]byte(s.get(t, "/api/v1/stations/"+station)), &body); err != nil {
		return latestPeriod{}, false
	}
	for _, l := range body.Limits {
		if l.Parameter == param && l.Period == period {
			return l.latestPeriod, true
		}
	}
	return latestPeriod{}, false
}

// The latest closed day keeps its evidence all the next day: yesterday at 60 on every
// reading, today at 20 up to now; the API shows the whole of yesterday — exceeded, 60, 24
// hours, capture 1 — although after 08:00 the hours the engine holds no longer reach back to
// yesterday's morning.
func TestEvidenceKeptAllTheNextDay(t *testing.T) {
	s := startStack(t, "stations:\n  - {id: EV, kind: air, regulations: [QCVN-05:2023]}\n", nil)
	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(ict)
	d0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, ict)
	today := int(now.Sub(d0) / (5 * time.Minute)) // readings 00:05 … up to now
	rs := slices.Concat(
		series(d0.AddDate(0, 0, -1).Add(5*time.Minute), 5*time.Minute, 288, constant("pm25", 60)),
		series(d0.Add(5*time.Minute), 5*time.Minute, today, constant("pm25", 20)))
	sendPayloads(t, s.broker.URL(), "stations/EV/air", []string{array(rs)}) // one backlog message
	want := latestPeriod{State: "exceeded", Value: 60, Coverage: 1, Count: 24, WindowEnd: d0}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		got, ok := limitOf(t, s, "EV", "pm25", "24h")
		return ok && got.State == want.State && near(got.Value, want.Value) && near(got.Coverage, want.Coverage) &&
			got.Count == want.Count && got.WindowEnd.Equal(want.WindowEnd), fmt.Sprintf("%+v, want %+v", got, want)
	})
	if v, ok := metricValue(s.get(t, "/metrics"), `quantrac_window_coverage_ratio{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="EV"}`); !ok || v != 1 {
		t.Errorf("coverage metric %v (exported %v), want 1", v, ok)
	}
}
