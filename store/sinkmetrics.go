package store

import (
	"github.com/prometheus/client_golang/prometheus"
)

// sinkMetrics are the sink's part of the accounting identity (README "Metrics"):
// quantrac_readings_total = quantrac_readings_durable_total + quantrac_readings_quarantined_total
// + quantrac_readings_pending.
type sinkMetrics struct {
	pendingPoints       prometheus.Gauge
	pendingReadings     prometheus.Gauge
	durable             prometheus.Counter
	quarantinedReadings prometheus.Counter
	spooled             prometheus.Counter
	quarantinedPoints   prometheus.Counter
	held                *prometheus.GaugeVec
}

func newSinkMetrics(r prometheus.Registerer) sinkMetrics {
	m := sinkMetrics{
		pendingPoints: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_points_pending", Help: "Points accepted but not yet durable (in memory, waiting for InfluxDB or the spool).",
		}),
		pendingReadings: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_readings_pending", Help: "Accepted readings not yet durable (in memory), including held ones.",
		}),
		durable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_readings_durable_total", Help: "Accepted readings made durable (in InfluxDB or the spool) and acknowledged.",
		}),
		quarantinedReadings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_readings_quarantined_total", Help: "Accepted readings InfluxDB refused for good, whose message is kept durably in rejected_messages and acknowledged.",
		}),
		spooled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_points_spooled_total", Help: "Points written to the local spool because InfluxDB was unavailable.",
		}),
		quarantinedPoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_points_quarantined_total", Help: "Points InfluxDB refused for good (type conflict, outside retention), kept in rejected_messages.",
		}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "quantrac_messages_held", Help: "Messages held (not acknowledged) and waiting for a retry, by reason: unavailable (InfluxDB unavailable and the spool could not take them), refused (InfluxDB refused them and their quarantine entry could not be kept).",
		}, []string{"reason"}),
	}
	m.held.WithLabelValues(heldUnavailable)
	m.held.WithLabelValues(heldRefused)
	if r != nil {
		r.MustRegister(m.pendingPoints, m.pendingReadings, m.durable, m.quarantinedReadings, m.spooled, m.quarantinedPoints, m.held)
	}
	return m
}

// countHeld sets quantrac_messages_held from the held messages of every station.
func (m *sinkMetrics) countHeld(stations map[string]*heldStation) {
	n := map[string]int{}
	for _, st := range stations {
		for i := range st.p.msgs {
			n[st.p.msgs[i].held]++
		}
	}
	for _, reason := range []string{heldUnavailable, heldRefused} {
		m.held.WithLabelValues(reason).Set(float64(n[reason]))
	}
}
