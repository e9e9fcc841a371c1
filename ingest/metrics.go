package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Message results, the values of quantrac_messages_total{result} (README.md, "Metrics").
const (
	ResultAccepted       = "accepted"
	ResultMalformed      = "malformed"
	ResultInvalid        = "invalid"
	ResultUnknownStation = "unknown_station"
	ResultForbidden      = "forbidden"
	ResultTooLarge       = "too_large"
)

var results = []string{ResultAccepted, ResultMalformed, ResultInvalid, ResultUnknownStation, ResultForbidden, ResultTooLarge}

// metrics are the pipeline's counters.
type metrics struct {
	received prometheus.Counter
	messages *prometheus.CounterVec
	readings *prometheus.CounterVec
	rejected *prometheus.CounterVec
	flagged  prometheus.Counter

	// Resolved once: every accepted message counts these.
	accepted       prometheus.Counter
	readingsByKind map[string]prometheus.Counter
}

// readingsOf returns the quantrac_readings_total counter of station kind k.
func (m *metrics) readingsOf(k string) prometheus.Counter {
	if c, ok := m.readingsByKind[k]; ok {
		return c
	}
	return m.readings.WithLabelValues(k)
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_messages_received_total", Help: "MQTT messages received; equals the sum of quantrac_messages_total over results.",
		}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quantrac_messages_total", Help: "MQTT messages received, by result.",
		}, []string{"result"}),
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quantrac_readings_total", Help: "Readings accepted (valid and flagged), by station kind.",
		}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quantrac_readings_rejected_total", Help: "Readings rejected, by reason.",
		}, []string{"reason"}),
		flagged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_readings_flagged_total", Help: "Accepted readings with a status other than 00 or inside maintenance (written to <kind>_flagged).",
		}),
	}
	for _, r := range results {
		m.messages.WithLabelValues(r)
	}
	m.accepted = m.messages.WithLabelValues(ResultAccepted)
	m.readingsByKind = map[string]prometheus.Counter{}
	for _, k := range []string{"air", "wastewater"} {
		m.readingsByKind[k] = m.readings.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.received, m.messages, m.readings, m.rejected, m.flagged)
	}
	return m
}
