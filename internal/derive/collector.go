package derive

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	aqiDesc = prometheus.NewDesc("quantrac_aqi",
		"Current air-quality index: period 1h is the hourly index (NowCast for PM), 24h the daily index of the last complete day.",
		[]string{"station", "scheme", "period"}, nil)
	aqiCategoryDesc = prometheus.NewDesc("quantrac_aqi_category",
		"Category of quantrac_aqi: 1 good … 6 hazardous (VN: Tốt … Nguy hại).",
		[]string{"station", "scheme", "period"}, nil)
)

// stale is how old an index may be before it is no longer exported: a station that stopped
// reporting must not show an old index as current.
var stale = map[string]time.Duration{PeriodHourly: 3 * time.Hour, PeriodDaily: 48 * time.Hour}

// Collector exports the current indices from a snapshot at scrape time.
func (d *Deriver) Collector() prometheus.Collector { return aqiCollector{d} }

type aqiCollector struct{ d *Deriver }

func (c aqiCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- aqiDesc
	ch <- aqiCategoryDesc
}

func (c aqiCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.d.now()
	c.d.mu.RLock()
	defer c.d.mu.RUnlock()
	for station, sa := range c.d.aqi {
		sa.mu.Lock()
		for _, e := range sa.latest {
			if now.Sub(time.Unix(0, e.end)) > stale[e.period] {
				continue
			}
			ch <- prometheus.MustNewConstMetric(aqiDesc, prometheus.GaugeValue, float64(e.value), station, string(e.scheme), e.period)
			ch <- prometheus.MustNewConstMetric(aqiCategoryDesc, prometheus.GaugeValue, float64(e.category), station, string(e.scheme), e.period)
		}
		sa.mu.Unlock()
	}
}
