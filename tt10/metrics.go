package tt10

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
)

// metrics are the watcher's own counters.
type metrics struct {
	files        *prometheus.CounterVec // by result
	publishFails prometheus.Counter
	skewed       *prometheus.CounterVec // by station
	waiting      prometheus.Gauge
	lastScan     prometheus.Gauge
	scanSeconds  prometheus.Gauge
}

func newMetrics(r prometheus.Registerer) *metrics {
	m := &metrics{
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quantrac_tt10_files_total",
			Help: "Data files handled, by result: done (published, moved to .done), malformed and invalid (published and quarantined by the ingester, moved to .rejected), or the reason the watcher rejected the file without publishing it.",
		}, []string{"result"}),
		publishFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_tt10_publish_failures_total",
			Help: "Publishes the broker did not acknowledge in time; the file stays in place and is published again.",
		}),
		skewed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quantrac_tt10_time_skew_files_total",
			Help: "Files accepted although the time in their name differs from their records' times by more than 10 minutes (a datalogger clock or naming problem).",
		}, []string{"station"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_tt10_files_waiting",
			Help: "Data files found by the last scan that are not handled yet (still being written, or left for the next scan).",
		}),
		lastScan: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_tt10_last_scan_timestamp_seconds",
			Help: "When the last complete scan of the watched directory ended.",
		}),
		scanSeconds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_tt10_last_scan_duration_seconds",
			Help: "How long the last scan took, publishing included.",
		}),
	}
	for _, res := range Results() {
		m.files.WithLabelValues(res)
	}
	if r != nil {
		r.MustRegister(m.files, m.publishFails, m.skewed, m.waiting, m.lastScan, m.scanSeconds)
	}
	return m
}

// CompletenessWindow is the trailing period over which completeness is counted: a day, 288
// files and records per parameter at the 5-minute interval of Circular 10/2021.
const CompletenessWindow = 24 * time.Hour

// completeness counts, per station, the distinct files (by the time in their name) and the
// distinct records per parameter (by record time) received in the trailing
// CompletenessWindow, and exports them beside what the station's interval makes expected.
// Distinct times make a file published twice (after a crash, or uploaded twice) count once.
// It is a prometheus.Collector that computes the numbers at scrape time.
type completeness struct {
	now func() time.Time

	mu       sync.Mutex
	stations map[string]*received
}

// received is what one station sent: Unix seconds of file and record times.
type received struct {
	interval time.Duration
	files    map[int64]struct{}
	records  map[string]map[int64]struct{} // by canonical parameter
}

var (
	filesReceivedDesc = prometheus.NewDesc("quantrac_tt10_files_received",
		"Distinct data files of the station (by the time in their name) published in the last 24 hours.", []string{"station"}, nil)
	filesExpectedDesc = prometheus.NewDesc("quantrac_tt10_files_expected",
		"Data files expected in 24 hours at the station's interval (288 at 5 minutes).", []string{"station"}, nil)
	recordsReceivedDesc = prometheus.NewDesc("quantrac_tt10_records_received",
		"Distinct records of the parameter (by record time, any status) received in data files in the last 24 hours.", []string{"station", "parameter"}, nil)
	recordsExpectedDesc = prometheus.NewDesc("quantrac_tt10_records_expected",
		"Records of the parameter expected in 24 hours at the station's interval (288 at 5 minutes).", []string{"station", "parameter"}, nil)
)

func newCompleteness(now func() time.Time) *completeness {
	return &completeness{now: now, stations: map[string]*received{}}
}

// add records a file of st named at fileTime, holding readings rs.
func (c *completeness) add(st *quantrac.Station, fileTime time.Time, rs []quantrac.Reading) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.stations[st.ID]
	if r == nil {
		r = &received{files: map[int64]struct{}{}, records: map[string]map[int64]struct{}{}}
		c.stations[st.ID] = r
	}
	r.interval = st.Interval
	r.files[fileTime.Unix()] = struct{}{}
	for _, rd := range rs {
		set := r.records[rd.Param]
		if set == nil {
			set = map[int64]struct{}{}
			r.records[rd.Param] = set
		}
		set[rd.Time.Unix()] = struct{}{}
	}
	if limit := 2*expected(r.interval) + 16; len(r.files) > limit {
		r.prune(c.now().Add(-CompletenessWindow).Unix())
	}
}

// prune drops times at or before from; stations and parameters stay, so that a silent one
// reports 0.
func (r *received) prune(from int64) {
	drop := func(set map[int64]struct{}) {
		for t := range set {
			if t <= from {
				delete(set, t)
			}
		}
	}
	drop(r.files)
	for _, set := range r.records {
		drop(set)
	}
}

func expected(interval time.Duration) int {
	if interval <= 0 {
		interval = quantrac.DefaultInterval
	}
	return int(CompletenessWindow / interval)
}

// Describe implements prometheus.Collector.
func (c *completeness) Describe(ch chan<- *prometheus.Desc) {
	ch <- filesReceivedDesc
	ch <- filesExpectedDesc
	ch <- recordsReceivedDesc
	ch <- recordsExpectedDesc
}

// Collect implements prometheus.Collector.
func (c *completeness) Collect(ch chan<- prometheus.Metric) {
	from := c.now().Add(-CompletenessWindow).Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, r := range c.stations {
		r.prune(from)
		exp := float64(expected(r.interval))
		ch <- prometheus.MustNewConstMetric(filesReceivedDesc, prometheus.GaugeValue, float64(len(r.files)), id)
		ch <- prometheus.MustNewConstMetric(filesExpectedDesc, prometheus.GaugeValue, exp, id)
		for p, set := range r.records {
			ch <- prometheus.MustNewConstMetric(recordsReceivedDesc, prometheus.GaugeValue, float64(len(set)), id, p)
			ch <- prometheus.MustNewConstMetric(recordsExpectedDesc, prometheus.GaugeValue, exp, id, p)
		}
	}
}

// Counts is one station's completeness over the trailing window.
type Counts struct {
	Files    int            // distinct files received
	Expected int            // files (and records per parameter) expected
	Records  map[string]int // distinct records received, by parameter
}

// snapshot returns the counts of every station, for tests and the -once summary.
func (c *completeness) snapshot() map[string]Counts {
	from := c.now().Add(-CompletenessWindow).Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]Counts{}
	for id, r := range c.stations {
		r.prune(from)
		cnt := Counts{Files: len(r.files), Expected: expected(r.interval), Records: map[string]int{}}
		for p, set := range r.records {
			cnt.Records[p] = len(set)
		}
		out[id] = cnt
	}
	return out
}
