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
	}
	if r != nil {
		r.MustRegister(m.pendingPoints, m.pendingReadings, m.durable, m.quarantinedReadings, m.spooled, m.quarantinedPoints)
	}
	return m
}
