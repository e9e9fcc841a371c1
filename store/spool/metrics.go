package spool

import (
	"github.com/prometheus/client_golang/prometheus"
)

// collector exports the spool's state, read at scrape time so that nothing goes stale.
type collector struct {
	s                                             *Spool
	bytes, age, records, corrupt, lost, accepting *prometheus.Desc
}

func newCollector(s *Spool) *collector {
	return &collector{
		s: s,
		bytes: prometheus.NewDesc("quantrac_spool_bytes",
			"Bytes of segment files waiting on local disk for InfluxDB.", nil, nil),
		age: prometheus.NewDesc("quantrac_spool_oldest_age_seconds",
			"Age of the oldest record not yet written to InfluxDB; 0 when the spool is empty.", nil, nil),
		records: prometheus.NewDesc("quantrac_spool_records",
			"Records (batches of line protocol) waiting in the spool.", nil, nil),
		corrupt: prometheus.NewDesc("quantrac_spool_corrupt_total",
			"Corrupt regions detected in the spool: torn tails truncated, damaged frames skipped, invalid checkpoints.", nil, nil),
		lost: prometheus.NewDesc("quantrac_spool_records_lost_total",
			"Spool records lost to damage: skipped damaged frames and missing segment files (damage that runs to the end of the newest segment counts as one record, the least it holds). A torn tail, which holds nothing acknowledged, is not counted.", nil, nil),
		accepting: prometheus.NewDesc("quantrac_spool_accepting",
			"1 while the spool can take data; 0 when it is 90% full, or its last write to disk failed (disk full, I/O error) and none has succeeded since (a full disk: until it has room for a segment again).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.bytes
	ch <- c.age
	ch <- c.records
	ch <- c.corrupt
	ch <- c.lost
	ch <- c.accepting
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	s.mu.Lock()
	bytes, records, oldest, corrupt, lost := s.bytes, s.nextSeq-s.head, s.headTime, s.corrupt, s.lost
	s.mu.Unlock()
	accepting := 0.0
	if s.Refusal() == nil {
		accepting = 1
	}
	age := 0.0
	if records > 0 {
		age = max(s.opts.Now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(bytes))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(records))
	ch <- prometheus.MustNewConstMetric(c.corrupt, prometheus.CounterValue, float64(corrupt))
	ch <- prometheus.MustNewConstMetric(c.lost, prometheus.CounterValue, float64(lost))
	ch <- prometheus.MustNewConstMetric(c.accepting, prometheus.GaugeValue, accepting)
}
