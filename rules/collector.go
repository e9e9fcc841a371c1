package rules

import (
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector returns a prometheus.Collector exporting the engine's state from a snapshot taken
// at scrape time (DESIGN §8), so series of removed stations and limits disappear with them.
// It is unchecked (Describe sends nothing) because quantrac_station_info carries the registry
// tags, whose names change when the registry is reloaded; every station's info series has the
// union of all tag names, empty where a station lacks one.
func (e *Engine) Collector() prometheus.Collector { return &collector{e: e} }

type collector struct{ e *Engine }

var ruleLabels = []string{"station", "parameter", "regulation", "period"}

var (
	descLastReading = prometheus.NewDesc("quantrac_station_last_reading_timestamp_seconds",
		"Time of the station's newest valid reading (measurement time).", []string{"station"}, nil)
	descUp = prometheus.NewDesc("quantrac_station_up",
		"1 while the station's newest valid reading is within 3 reporting intervals of now.", []string{"station"}, nil)
	descValue = prometheus.NewDesc("quantrac_parameter_value",
		"Newest valid value of a parameter, in its canonical unit.", []string{"station", "parameter", "unit"}, nil)
	descRatio = prometheus.NewDesc("quantrac_limit_ratio",
		"Statistic of the current window divided by the limit in force; only while the window has enough data.", ruleLabels, nil)
	descViolation = prometheus.NewDesc("quantrac_violation",
		"1 while the limit is breached.", ruleLabels, nil)
	descViolations = prometheus.NewDesc("quantrac_violations_total",
		"Violations started since the process started.", ruleLabels, nil)
	descCoverage = prometheus.NewDesc("quantrac_window_coverage_ratio",
		"Data capture of the window ending at the newest reading (0-1).", ruleLabels, nil)
	descExceedances = prometheus.NewDesc("quantrac_exceedances",
		"Hours or days of the current calendar year in which the limit was exceeded.", ruleLabels, nil)
	descAllowed = prometheus.NewDesc("quantrac_exceedances_allowed",
		"Exceedances the regulation allows per calendar year.", ruleLabels, nil)
)

func (c *collector) Describe(chan<- *prometheus.Desc) {}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.e.snapshot() {
		ch <- m
	}
}

// snapshot builds every metric from the current state.
func (e *Engine) snapshot() []prometheus.Metric {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	tagKeys := e.tagKeys()
	info := prometheus.NewDesc("quantrac_station_info", "Registered station; 1 per station, with its registry tags.",
		append([]string{"station", "name", "kind", "lat", "lon"}, tagKeys...), nil)
	var ms []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ms = append(ms, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	for _, s := range e.order {
		st := s.st
		labels := []string{st.ID, st.Name, string(st.Kind), ftoa(st.Location.Lat), ftoa(st.Location.Lon)}
		for _, k := range tagKeys {
			labels = append(labels, st.Tags[k])
		}
		gauge(info, 1, labels...)
		s.mu.Lock()
		if s.lastValid > 0 {
			gauge(descLastReading, float64(s.lastValid)/1e9, st.ID)
		}
		up := 0.0
		if s.up(now) {
			up = 1
		}
		gauge(descUp, up, st.ID)
		year := now.In(s.cal.loc).Year()
		for _, ser := range s.order {
			if ser.lastT > 0 {
				gauge(descValue, ser.last, st.ID, ser.param, ser.unit)
			}
			for _, r := range ser.rules {
				l := []string{st.ID, ser.param, r.rule.regulation, r.rule.period}
				if r.last.state == StateOK || r.last.state == StateExceeded {
					gauge(descRatio, r.last.ratio, l...)
				}
				gauge(descViolation, b2f(r.alert == violating), l...)
				ms = append(ms, prometheus.MustNewConstMetric(descViolations, prometheus.CounterValue, float64(r.starts), l...))
				gauge(descCoverage, r.last.coverage, l...)
				if r.exc != nil {
					gauge(descExceedances, float64(r.exc.count(year)), l...)
					gauge(descAllowed, float64(r.allowed(now)), l...)
				}
			}
		}
		s.mu.Unlock()
	}
	return ms
}

// allowed returns the exceedances allowed per year by the version in force at t, or by the
// newest version when none is.
func (r *ruleState) allowed(t time.Time) int {
	if l := r.rule.at(t); l != nil {
		return l.AllowedExceedances
	}
	return r.rule.versions[len(r.rule.versions)-1].AllowedExceedances
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

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
