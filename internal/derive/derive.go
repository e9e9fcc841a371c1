// Package derive computes what quantrac derives from accepted readings — violation events
// from the rules engine and air-quality indices — and encodes them as InfluxDB points that
// travel with the message that caused them.
//
//	readings ──> rules.Engine.Observe ──> transitions ──> violations points
//	         └─> aqi.Tracker per station ──> on each completed hour/day ──> aqi points
//	                                                                   └──> quantrac_aqi
//
// Because the derived points are written in the same batch as the readings, a message is
// acknowledged only when its violations and indices are durable too; after a crash the
// broker redelivers it and they are derived again.
package derive

import (
	"sync"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/rules/aqi"
	"github.com/quantrac/quantrac/store"
)

// Deriver feeds readings to the rules engine and the AQI trackers. It is safe for concurrent
// use.
type Deriver struct {
	engine *rules.Engine
	now    func() time.Time

	mu  sync.RWMutex // guards aqi
	aqi map[string]*stationAQI
}

// stationAQI is the AQI state of one station that asked for an index.
type stationAQI struct {
	mu       sync.Mutex
	schemes  []aqi.Scheme
	tracker  *aqi.Tracker
	loc      *time.Location
	lastHour time.Time // start of the newest local hour seen
	nextHour int64     // start of the local hour after it, Unix ns: earlier readings end no hour
	lastDay  time.Time // start of the newest local day seen
	latest   map[key]aqi.Index
}

// key names one exported index.
type key struct {
	scheme aqi.Scheme
	period string
}

// Index periods, the values of the period tag and label.
const (
	PeriodHourly = "1h"
	PeriodDaily  = "24h"
)

// New returns a Deriver for the stations of reg; now is the clock used at scrape time.
func New(engine *rules.Engine, reg *quantrac.Registry, now func() time.Time) *Deriver {
	d := &Deriver{engine: engine, now: now}
	d.SetRegistry(reg)
	return d
}

// SetRegistry follows a registry reload: stations keep their AQI state, new ones start empty,
// removed ones are dropped. The rules engine is reloaded too.
func (d *Deriver) SetRegistry(reg *quantrac.Registry) {
	d.engine.SetRegistry(reg)
	next := map[string]*stationAQI{}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, st := range reg.Stations() {
		var schemes []aqi.Scheme
		for _, s := range st.AQI {
			schemes = append(schemes, aqi.Scheme(s))
		}
		if len(schemes) == 0 {
			continue
		}
		if old := d.aqi[st.ID]; old != nil && old.loc.String() == st.TimeLocation().String() {
			old.mu.Lock()
			old.schemes = schemes
			old.mu.Unlock()
			next[st.ID] = old
			continue
		}
		next[st.ID] = &stationAQI{schemes: schemes, tracker: aqi.NewTracker(st.TimeLocation()), loc: st.TimeLocation(), latest: map[key]aqi.Index{}}
	}
	d.aqi = next
}

// Observe evaluates one message's readings (all of one station) and appends the derived
// points to lines; it returns the extended buffer and the number of points appended.
func (d *Deriver) Observe(rs []quantrac.Reading, lines []byte) ([]byte, int) {
	n := 0
	for _, t := range d.engine.Observe(rs) {
		lines = store.AppendPoint(lines, violationPoint(&t))
		n++
	}
	if len(rs) == 0 {
		return lines, n
	}
	d.mu.RLock()
	sa := d.aqi[rs[0].Station]
	d.mu.RUnlock()
	if sa == nil {
		return lines, n
	}
	sa.mu.Lock()
	defer sa.mu.Unlock()
	for i := range rs {
		if rs[i].Valid() {
			sa.tracker.Observe(rs[i].Param, rs[i].Time, rs[i].Value)
		}
	}
	return sa.emit(rs[0].Station, newest(rs), lines, n)
}

// SetStationStatus forwards a station's online/offline status to the rules engine.
func (d *Deriver) SetStationStatus(station string, online bool) {
	d.engine.SetStationStatus(station, online)
}

// newest returns the latest reading time of rs.
func newest(rs []quantrac.Reading) time.Time {
	t := rs[0].Time
	for i := range rs {
		if rs[i].Time.After(t) {
			t = rs[i].Time
		}
	}
	return t
}

// emit computes the indices of the hour (and day) that completed before at, once per hour
// (day), and appends them as aqi points.
func (sa *stationAQI) emit(station string, at time.Time, lines []byte, n int) ([]byte, int) {
	if at.UnixNano() < sa.nextHour {
		return lines, n // still in the newest hour seen, or earlier
	}
	l := at.In(sa.loc)
	hour := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, sa.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, sa.loc)
	newHour, newDay := hour.After(sa.lastHour), day.After(sa.lastDay)
	if !newHour {
		return lines, n
	}
	sa.lastHour = hour
	sa.nextHour = time.Date(l.Year(), l.Month(), l.Day(), l.Hour()+1, 0, 0, 0, sa.loc).UnixNano()
	for _, s := range sa.schemes {
		if idx, ok := sa.tracker.Hourly(s, at); ok {
			sa.latest[key{s, PeriodHourly}] = idx
			lines = store.AppendPoint(lines, aqiPoint(station, s, PeriodHourly, &idx))
			n++
		}
		if !newDay {
			continue
		}
		if idx, ok := sa.tracker.Daily(s, at); ok {
			sa.latest[key{s, PeriodDaily}] = idx
			lines = store.AppendPoint(lines, aqiPoint(station, s, PeriodDaily, &idx))
			n++
		}
	}
	if newDay {
		sa.lastDay = day
	}
	return lines, n
}

func violationPoint(t *rules.Transition) *store.Point {
	return &store.Point{
		Measurement: store.MeasurementViolations,
		Tags: []store.Tag{
			{Key: "parameter", Value: t.Parameter}, {Key: "period", Value: t.Period},
			{Key: "regulation", Value: t.Regulation}, {Key: "station", Value: t.Station},
		},
		Fields: []store.Field{
			{Key: "state", Value: t.State}, {Key: "value", Value: t.Value}, {Key: "limit", Value: t.Limit},
			{Key: "ratio", Value: t.Ratio}, {Key: "coverage", Value: t.Coverage}, {Key: "count", Value: int64(t.Count)},
			{Key: "window_start", Value: t.WindowStart.UTC().Format(time.RFC3339)},
			{Key: "window_end", Value: t.WindowEnd.UTC().Format(time.RFC3339)},
			{Key: "version", Value: t.Version},
		},
		Time: t.WindowEnd,
	}
}

func aqiPoint(station string, s aqi.Scheme, period string, idx *aqi.Index) *store.Point {
	p := &store.Point{
		Measurement: store.MeasurementAQI,
		Tags:        []store.Tag{{Key: "period", Value: period}, {Key: "scheme", Value: string(s)}, {Key: "station", Value: station}},
		Fields: []store.Field{
			{Key: "aqi", Value: int64(idx.Value)}, {Key: "category", Value: idx.Category.Name},
			{Key: "category_vi", Value: idx.Category.NameVI}, {Key: "color", Value: idx.Category.Color},
			{Key: "dominant", Value: idx.Dominant},
		},
		Time: idx.End,
	}
	for _, pol := range []string{"pm25", "pm10", "o3", "no2", "so2", "co"} {
		if v, ok := idx.Sub[pol]; ok {
			p.Fields = append(p.Fields, store.Field{Key: pol, Value: int64(v)})
		}
	}
	return p
}
