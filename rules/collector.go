package rules

import (
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
)

// The engine's metric families (README.md, "Metrics"), in the order they are written: by name.
const (
	famExceedances = iota
	famExceedances3y
	famAllowed
	famAllowed3y
	famRatio
	famRatioProvisional
	famValue
	famRebuilt
	famInfo
	famLastReading
	famUp
	famViolation
	famViolations
	famCoverage
)

var engineFamilies = []family{
	famExceedances: newFamily("quantrac_exceedances",
		"Hours or days of the current calendar year (at the station's newest reading) above a counted limit's level.", "gauge"),
	famExceedances3y: newFamily("quantrac_exceedances_3y",
		"quantrac_exceedances averaged over the calendar years a multi-year form covers (EU ozone).", "gauge"),
	famAllowed: newFamily("quantrac_exceedances_allowed",
		"Exceedances the regulation allows in the current calendar year (percentile forms: for the valid days the year can still reach).", "gauge"),
	famAllowed3y: newFamily("quantrac_exceedances_allowed_3y",
		"quantrac_exceedances_allowed averaged like quantrac_exceedances_3y.", "gauge"),
	famRatio: newFamily("quantrac_limit_ratio",
		"Statistic of the latest closed period divided by the limit in force; only when that period has enough data for a verdict.", "gauge"),
	famRatioProvisional: newFamily("quantrac_limit_ratio_provisional",
		"Statistic of the period in progress, as it stands, divided by the limit in force.", "gauge"),
	famValue: newFamily("quantrac_parameter_value",
		"Newest valid value of a parameter, in its canonical unit.", "gauge"),
	famRebuilt: newFamily("quantrac_rules_rebuilt",
		"1 once the rules' state is rebuilt from InfluxDB (the last rebuild succeeded); until then stations export no verdict.", "gauge"),
	famInfo: newFamily("quantrac_station_info",
		"Registered station; 1 per station, with its registry tags.", "gauge"),
	famLastReading: newFamily("quantrac_station_last_reading_timestamp_seconds",
		"Time of the station's newest valid reading (measurement time).", "gauge"),
	famUp: newFamily("quantrac_station_up",
		"1 while the station's newest valid reading is within 3 reporting intervals of now.", "gauge"),
	famViolation: newFamily("quantrac_violation",
		"1 while the limit is breached: the latest closed period is outside it (beyond the allowance of a counted limit).", "gauge"),
	famViolations: newFamily("quantrac_violations_total",
		"Violations started since the process started.", "counter"),
	famCoverage: newFamily("quantrac_window_coverage_ratio",
		"Data capture of the latest closed period (0-1).", "gauge"),
}

// infoFixedLabels are quantrac_station_info's labels besides the registry tags; the registry
// reserves these names, so no tag has one.
var infoFixedLabels = []string{"station", "name", "kind", "lat", "lon"}

// Exporter writes the engine's metrics (README.md, "Metrics") in the Prometheus text exposition
// format 0.0.4, from the state at scrape time, so series of removed stations and limits
// disappear with them. Every station's quantrac_station_info series has the union of all
// registry tag names, empty where the station lacks one.
//
// At 10,000 stations the engine has ~1.7 M series (~130 MB of text), too many to build a
// prometheus.Metric for each: the text is appended straight into a small buffer, one family
// at a time (one pass over the stations per family), and written out as it fills. A family's
// samples are read at slightly different times from another's; each sample is consistent.
// An Exporter is safe for concurrent use.
type Exporter struct {
	e    *Engine
	bufs sync.Pool // of *[]byte
}

// Exporter returns an Exporter of the engine's metrics.
func (e *Engine) Exporter() *Exporter { return &Exporter{e: e} }

// Families returns the names of the metric families the Exporter writes.
func (x *Exporter) Families() []string {
	names := make([]string, len(engineFamilies))
	for i, f := range engineFamilies {
		names[i] = f.name
	}
	return names
}

// WriteTo writes the metrics to w, implementing io.WriterTo. A station is locked only while
// its samples of one family are appended; w is written to between stations.
func (x *Exporter) WriteTo(w io.Writer) (int64, error) {
	stations, info, now, rebuilt := x.e.scrapeList()
	buf, _ := x.bufs.Get().(*[]byte)
	if buf == nil {
		buf = new(make([]byte, 0, chunkSize+64<<10))
	}
	xp := exposition{w: w, buf: (*buf)[:0]}
	for f := range engineFamilies {
		xp.begin(engineFamilies[f])
		if f == famRebuilt {
			xp.setLabels()
			xp.sample(b2f(rebuilt))
			continue
		}
		for _, s := range stations {
			xp.appendStation(s, f, info, now)
			xp.flushFull()
		}
	}
	xp.flush()
	*buf = xp.buf
	x.bufs.Put(buf)
	return xp.n, xp.err
}

// scrapeList returns the stations in registry order, the sorted label names of
// quantrac_station_info and the scrape time. The engine's lock is released at once: a
// registry reload during a scrape does not wait for a slow client.
func (e *Engine) scrapeList() (stations []*stationState, info []string, now time.Time, rebuilt bool) {
	now = e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	info = append(slices.Clone(infoFixedLabels), e.tagKeys()...)
	slices.Sort(info)
	return slices.Clone(e.order), info, now, e.rebuilt
}

// appendStation appends the station's samples of family f, holding the station's lock. A
// station not yet rebuilt exports only quantrac_station_info: nothing that could read as ok.
func (x *exposition) appendStation(s *stationState, f int, info []string, now time.Time) {
	id := s.st.ID
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == famInfo {
		x.setInfoLabels(s.st, info)
		x.sample(1)
		return
	}
	if !s.known {
		return
	}
	switch f {
	case famLastReading:
		if s.valid > 0 {
			x.setLabels("station", id)
			x.sample(float64(s.valid) / 1e9)
		}
	case famUp:
		x.setLabels("station", id)
		x.sample(b2f(s.up(now)))
	case famValue:
		for _, ser := range s.order {
			if ser.lastT > 0 {
				x.setLabels("parameter", ser.param, "station", id, "unit", ser.unit())
				x.sample(ser.last)
			}
		}
	default:
		for _, ser := range s.order {
			for i := range ser.rules {
				r := &ser.rules[i]
				if v, ok := s.metric(ser, r, f); ok {
					x.setLabels("force", r.rule.forceFor(s.st), "parameter", ser.param, "period", r.rule.period, "regulation", r.rule.reg.ID, "station", id)
					x.sample(v)
				}
			}
		}
	}
}

// metric returns the rule's value in family f, if it has one there.
func (s *stationState) metric(ser *series, r *ruleState, f int) (float64, bool) {
	switch f {
	case famRatio:
		return r.lastRatio, r.lastState.judged()
	case famRatioProvisional:
		if v, ok := s.provisional(ser, r); ok && v.version != nil {
			return v.ratio, true
		}
	case famViolation:
		return b2f(r.alert == violating), true
	case famViolations:
		return float64(r.starts), true
	case famCoverage:
		return r.lastCoverage, s.valid > 0
	case famExceedances, famAllowed, famExceedances3y, famAllowed3y:
		if !r.rule.counted || (r.rule.years <= 1 && (f == famExceedances3y || f == famAllowed3y)) {
			return 0, false
		}
		fig := s.cachedForm(ser, r)
		if fig == nil {
			return 0, false
		}
		return [...]float64{famExceedances: float64(fig.exceedances), famAllowed: float64(fig.allowed),
			famExceedances3y: fig.mean, famAllowed3y: fig.allowedMean}[f], true
	}
	return 0, false
}

// setInfoLabels makes st's quantrac_station_info labels the label set of the next samples:
// names, sorted, are the fixed labels and the registry's tag names.
func (x *exposition) setInfoLabels(st *quantrac.Station, names []string) {
	b := x.labels[:0]
	for i, n := range names {
		b = appendLabelName(b, i == 0, n)
		switch n {
		case "station":
			b = appendLabelValue(b, st.ID)
		case "name":
			b = appendLabelValue(b, st.Name)
		case "kind":
			b = appendLabelValue(b, string(st.Kind))
		case "lat":
			b = strconv.AppendFloat(b, st.Location.Lat, 'f', -1, 64)
		case "lon":
			b = strconv.AppendFloat(b, st.Location.Lon, 'f', -1, 64)
		default:
			b = appendLabelValue(b, st.Tags[n])
		}
		b = append(b, '"')
	}
	b = append(b, '}')
	x.labels = b
}

// tagKeys returns the union of the registry's tag names, sorted.
func (e *Engine) tagKeys() []string {
	var keys []string
	for _, s := range e.order {
		keys = append(keys, s.st.TagKeys()...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
