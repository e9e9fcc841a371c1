package natsjs

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics describe the instance's place in the consumer group (README.md, "Scaling out").
type metrics struct {
	assigned      prometheus.Gauge
	pinnedG       prometheus.Gauge
	pinned        atomic.Bool
	pending       prometheus.Gauge
	ackPending    prometheus.Gauge
	redeliveries  prometheus.Counter
	acquisitions  prometheus.Counter
	partitionMsgs []prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, partitions int, connected func() bool) *metrics {
	m := &metrics{
		assigned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_nats_partitions_assigned", Help: "Partitions the consumer group assigns to this instance's member (received by its pinned instance).",
		}),
		pinnedG: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_nats_pinned", Help: "1 while this instance is its member's pinned instance and receives the member's partitions, 0 while it stands by.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_nats_consumer_pending_messages", Help: "Messages of the member's partitions not yet delivered (consumer lag).",
		}),
		ackPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_nats_consumer_ack_pending_messages", Help: "Messages of the member's partitions delivered and not yet acknowledged.",
		}),
		redeliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_nats_redeliveries_total", Help: "Messages received that had been delivered before (unacknowledged by a previous owner, or past the ack wait).",
		}),
		acquisitions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_nats_partition_acquisitions_total", Help: "Partitions taken over by this instance (each rebuilds its stations' state before their next reading).",
		}),
	}
	msgs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "quantrac_nats_partition_messages_total", Help: "Messages received by this instance, by partition: which instance evaluates which stations.",
	}, []string{"partition"})
	for p := range partitions {
		m.partitionMsgs = append(m.partitionMsgs, msgs.WithLabelValues(strconv.Itoa(p)))
	}
	conn := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "quantrac_nats_connected", Help: "1 while connected to the NATS cluster and consuming (pinned or standing by).",
	}, func() float64 {
		if connected() {
			return 1
		}
		return 0
	})
	if reg != nil {
		reg.MustRegister(m.assigned, m.pinnedG, m.pending, m.ackPending, m.redeliveries, m.acquisitions, msgs, conn)
	}
	return m
}

func (m *metrics) setPinned(b bool) {
	m.pinned.Store(b)
	if b {
		m.pinnedG.Set(1)
	} else {
		m.pinnedG.Set(0)
	}
}

func (m *metrics) pinnedNow() bool { return m.pinned.Load() }
