// Package relay forwards MQTT messages from a station-facing broker (Mosquitto) to the NATS
// JetStream stream, acknowledging each to the broker only once the stream has stored it: the
// safe path (README.md, "Which path: the PUBACK question"; docs/decisions/0004; see
// ingest/natsjs: the NATS MQTT listener's PUBACK does not wait for the stream).
//
//	station ──QoS 1──> Mosquitto (persistent session) ──> Relay ──JetStream publish──> stream (R3)
//	          PUBACK when Mosquitto has it                   │           │
//	                                                          └── MQTT ack <── publish ack (stored on a quorum)
//
// A message whose publish fails is retried, never dropped: until it is stored, Mosquitto
// keeps it in the relay's session and delivers it again after a relay crash. A message
// published twice (a redelivery after a crash) carries the same Nats-Msg-Id, so the stream
// stores it once within its duplicate window.
//
// Every topic a broker can deliver becomes a subject: what NATS cannot carry (whitespace, a
// level "*" or ">") is escaped (natsjs.TopicToSubject), and quantrac, reading the stream,
// refuses such a message as it would over MQTT (an unknown station, kept in
// rejected_messages). A topic with no subject at all (empty, or holding the MQTT wildcards +
// or #, which a conforming broker never delivers) is not acknowledged: it is logged, counted
// as unforwardable, and stays in the broker's session, delivered again when the relay
// reconnects.
package relay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/ingest/natsjs"
	"github.com/quantrac/quantrac/internal/retry"
)

// Options configure a Relay.
type Options struct {
	Source ingest.Source // the MQTT subscriber on the station-facing broker
	Conn   natsjs.ConnOptions
	Layout natsjs.Layout
	// Workers publish concurrently, each waiting for its publish acknowledgement (default 64).
	Workers int
	// DrainTimeout bounds the shutdown: what is not stored by then stays unacknowledged
	// for the broker to deliver again (default 15s).
	DrainTimeout time.Duration
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
}

// Relay moves messages from the MQTT source to the stream.
type Relay struct {
	opts          Options
	log           *slog.Logger
	forwarded     prometheus.Counter
	dups          prometheus.Counter
	unforwardable prometheus.Counter
	errs          prometheus.Counter
	nc            atomic.Pointer[nats.Conn]
}

// New builds a Relay and registers its metrics; it does no I/O.
func New(o Options) *Relay {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers < 1 {
		o.Workers = 64
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 15 * time.Second
	}
	msgs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "quantrac_relay_messages_total", Help: "MQTT messages relayed, by result: stored (in the stream, then acknowledged to the broker), duplicate (stored before), unforwardable (a topic with no NATS subject: logged and left unacknowledged in the broker).",
	}, []string{"result"})
	r := &Relay{opts: o, log: o.Logger,
		forwarded: msgs.WithLabelValues("stored"), dups: msgs.WithLabelValues("duplicate"), unforwardable: msgs.WithLabelValues("unforwardable"),
		errs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_relay_publish_errors_total", Help: "JetStream publishes that failed and were retried.",
		})}
	if o.Registerer != nil {
		o.Registerer.MustRegister(msgs, r.errs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "quantrac_nats_connected", Help: "1 while connected to the NATS cluster.",
		}, func() float64 {
			if r.Connected() {
				return 1
			}
			return 0
		}))
	}
	return r
}

// Connected reports whether the NATS connection is up.
func (r *Relay) Connected() bool {
	nc := r.nc.Load()
	return nc != nil && nc.IsConnected()
}

// Run relays until ctx is done, then drains: the source stops taking messages, the workers
// finish publishing those taken (until DrainTimeout), and the connections close.
func (r *Relay) Run(ctx context.Context) error {
	nc, err := natsjs.Connect(r.opts.Conn)
	if err != nil {
		return err
	}
	r.nc.Store(nc)
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if err := natsjs.InitStream(ctx, js, r.opts.Layout); err != nil {
		return err
	}
	hard, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	var wg sync.WaitGroup
	for range r.opts.Workers {
		wg.Go(func() {
			for msg := range r.opts.Source.Messages() {
				r.forward(hard, js, msg)
			}
		})
	}
	srcErr := r.opts.Source.Run(ctx)
	timer := time.AfterFunc(r.opts.DrainTimeout, hardStop)
	defer timer.Stop()
	wg.Wait()
	r.opts.Source.Close()
	_ = nc.Flush()
	return srcErr
}

// forward publishes one message until the stream stores it, then acknowledges it to the
// broker. It gives up only when ctx is done (the broker delivers it again later).
func (r *Relay) forward(ctx context.Context, js jetstream.JetStream, msg ingest.Message) {
	subject, err := natsjs.TopicToSubject(msg.Topic)
	if err != nil {
		// Not acknowledged: the broker keeps it in the relay's session (one in-flight slot)
		// and delivers it again on reconnection, rather than it being lost here.
		r.log.Error("topic cannot be a NATS subject; message left unacknowledged in the broker", "topic", msg.Topic, "err", err, "payload_bytes", len(msg.Payload))
		r.unforwardable.Inc()
		return
	}
	m := &nats.Msg{Subject: subject, Data: msg.Payload, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, msgID(msg.Topic, msg.Payload))
	b := retry.Backoff{First: 100 * time.Millisecond, Max: 5 * time.Second}
	for {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ack, err := js.PublishMsg(pctx, m)
		cancel()
		if err == nil {
			if ack.Duplicate {
				r.dups.Inc()
			} else {
				r.forwarded.Inc()
			}
			msg.Ack()
			return
		}
		r.errs.Inc()
		d := b.Next()
		r.log.Warn("JetStream publish failed; retrying (the message stays unacknowledged in the broker)", "subject", subject, "err", err, "retry_in", d)
		if !retry.Wait(ctx, d) {
			return
		}
	}
}

// msgID identifies a message by its topic and payload: a redelivered copy has the same id.
func msgID(topic string, payload []byte) string {
	h := sha256.New()
	h.Write([]byte(topic))
	h.Write([]byte{0})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil)[:16])
}
