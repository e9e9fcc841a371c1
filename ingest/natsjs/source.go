package natsjs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/synadia-io/orbit.go/pcgroups"

	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/internal/retry"
)

// DefaultAckWait is how long the server waits for a message's acknowledgement before it
// delivers it again. pcgroups derives the rest from it: an instance that stops pulling is
// unpinned after it (the standby takes over), and a member's consumer left without any
// instance is removed after it. quantrac acknowledges after the InfluxDB write or the spool
// append, within flush_interval plus one write in normal operation; a message that takes
// longer is delivered again, which is harmless (points are idempotent).
const DefaultAckWait = 10 * time.Second

// Options configure a Source.
type Options struct {
	Conn   ConnOptions
	Layout Layout
	Member string
	// AckWait is the consumer's ack wait (default DefaultAckWait).
	AckWait time.Duration
	// MaxInflight bounds the messages delivered but not yet acknowledged.
	MaxInflight int
	// OnAcquire is called when this instance starts receiving partitions it was not
	// receiving (it was pinned for its member, or the membership gave its member more
	// partitions), before any message of those partitions is delivered. Delivery waits
	// until it returns nil; an error is logged and the call retried. nil: nothing to do.
	OnAcquire func(ctx context.Context, partitions []int) error
	// OnRelease is called when this instance stops receiving partitions it had acquired:
	// the membership gave them to another member, or another instance of the member was
	// pinned. The stations of those partitions are judged elsewhere now. nil: nothing to do.
	OnRelease  func(partitions []int)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Source consumes the consumer group's partitions of this instance's member and delivers
// their messages as ingest messages: Topic is the MQTT topic the station published (the
// subject turned back into a topic), Ack is the JetStream acknowledgement.
type Source struct {
	opts Options
	log  *slog.Logger
	m    *metrics
	out  chan ingest.Message

	mu      sync.RWMutex // guards stopped against sends on the closed channel, and nc
	stopped bool
	nc      *nats.Conn

	consuming atomic.Bool
	owner     owner
}

var _ ingest.Source = (*Source)(nil)

// New builds a Source and registers its metrics; it does no I/O.
func New(o Options) *Source {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	o.MaxInflight = max(o.MaxInflight, 1)
	s := &Source{opts: o, log: o.Logger, out: make(chan ingest.Message, o.MaxInflight)}
	s.owner = owner{part: o.Layout.Partitioning, onAcquire: o.OnAcquire, onRelease: o.OnRelease, log: o.Logger, ready: map[int]bool{}}
	s.m = newMetrics(o.Registerer, o.Layout.Partitioning.Partitions, s.Connected)
	s.owner.m = s.m
	return s
}

// Messages is the channel of received messages; it is closed when Run returns.
func (s *Source) Messages() <-chan ingest.Message { return s.out }

// Connected reports whether the instance is connected and consuming (pinned or standing by).
func (s *Source) Connected() bool {
	s.mu.RLock()
	nc := s.nc
	s.mu.RUnlock()
	return s.consuming.Load() && nc != nil && nc.IsConnected()
}

// Run connects, creates or checks the stream and the group, joins the group as Member, and
// delivers messages until ctx is done; then it stops consuming and closes Messages, but
// stays connected so the messages taken can still be acknowledged. Close disconnects.
func (s *Source) Run(ctx context.Context) error {
	defer s.stopConsuming()
	o := s.opts
	if o.Conn.Name == "" {
		host, _ := os.Hostname()
		o.Conn.Name = fmt.Sprintf("quantrac %s@%s", o.Member, host)
	}
	nc, err := Connect(o.Conn)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.nc = nc
	s.mu.Unlock()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	var cc pcgroups.ConsumerGroupConsumeContext
	if !s.retry(ctx, "joining the consumer group", func() (err error) {
		if err = Init(ctx, js, o.Layout); err != nil {
			return err
		}
		if err = Join(ctx, js, o.Layout, o.Member); err != nil {
			return err
		}
		cc, err = pcgroups.ElasticConsume(ctx, js, o.Layout.Stream, o.Layout.Group, o.Member, s.handler(ctx), s.consumerConfig())
		return err
	}) {
		return nil
	}
	s.consuming.Store(true)
	s.log.Info("consuming from NATS JetStream", "stream", o.Layout.Stream, "group", o.Layout.Group, "member", o.Member,
		"partitions", o.Layout.Partitioning.Partitions)
	var wg sync.WaitGroup
	wg.Go(func() { s.watch(ctx, js) })
	defer wg.Wait()
	select {
	case <-ctx.Done():
		cc.Stop()
		if err := <-cc.Done(); err != nil {
			s.log.Debug("consumer group stopped", "err", err)
		}
		return nil
	case err := <-cc.Done():
		s.consuming.Store(false)
		if err != nil {
			return fmt.Errorf("consumer group %s stopped: %w", o.Layout.Group, err)
		}
		return fmt.Errorf("consumer group %s on %s was deleted", o.Layout.Group, o.Layout.Stream)
	}
}

// retry calls f until it succeeds (true) or ctx is done (false), with backoff.
func (s *Source) retry(ctx context.Context, what string, f func() error) bool {
	b := retry.Backoff{First: 500 * time.Millisecond, Max: 15 * time.Second}
	for {
		err := f()
		if err == nil {
			return true
		}
		d := b.Next()
		s.log.Error("NATS JetStream: "+what+" failed; retrying", "err", err, "retry_in", d)
		if !retry.Wait(ctx, d) {
			return false
		}
	}
}

func (s *Source) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.opts.AckWait,
		MaxAckPending: s.opts.MaxInflight,
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// handler queues one message. It runs on the consumer's delivery goroutine: it blocks while
// partitions are being acquired, and while MaxInflight messages wait (backpressure: the
// server stops delivering until we acknowledge).
func (s *Source) handler(ctx context.Context) func(jetstream.Msg) {
	return func(m jetstream.Msg) {
		subject := m.Subject() // pcgroups has stripped the partition token
		p := s.owner.partitionOf(subject)
		if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
			s.m.redeliveries.Inc()
		}
		if !s.owner.acquire(ctx, m.Headers().Get("Nats-Pin-Id"), p, m) {
			return // stopping: left unacknowledged, delivered again to the next owner
		}
		if p >= 0 {
			s.m.partitionMsgs[p].Inc()
		}
		msg := ingest.Message{Topic: SubjectToTopic(subject), Payload: m.Data(), Received: time.Now(), Ack: func() { _ = m.Ack() }}
		s.mu.RLock()
		defer s.mu.RUnlock()
		if s.stopped {
			return
		}
		select {
		case s.out <- msg:
		case <-ctx.Done():
		}
	}
}

func (s *Source) stopConsuming() {
	s.consuming.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.stopped = true
		close(s.out)
	}
}

// Close hands the member over to a standby instance at once (if this one is pinned) and
// disconnects, after Run has returned and the messages taken are acknowledged.
func (s *Source) Close() {
	s.mu.Lock()
	nc := s.nc
	s.mu.Unlock()
	if nc == nil {
		return
	}
	if s.m.pinnedNow() {
		if js, err := jetstream.New(nc); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = nc.FlushWithContext(ctx) // the acks first
			if err := pcgroups.ElasticMemberStepDown(ctx, js, s.opts.Layout.Stream, s.opts.Layout.Group, s.opts.Member); err != nil {
				s.log.Warn("could not hand the member over to a standby instance; it takes over after the ack wait", "err", err)
			}
			cancel()
		}
	}
	_ = nc.Drain()
	for nc.IsDraining() {
		time.Sleep(10 * time.Millisecond)
	}
	nc.Close()
}

// watch refreshes what the metrics say about the member every few seconds: the partitions
// the group assigns it, whether this instance is the pinned one, the consumer's lag.
func (s *Source) watch(ctx context.Context, js jetstream.JetStream) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		s.refresh(ctx, js)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Source) refresh(ctx context.Context, js jetstream.JetStream) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	l := s.opts.Layout
	if cfg, err := pcgroups.GetElasticConsumerGroupConfig(ctx, js, l.Stream, l.Group); err == nil {
		owned := Owned(cfg, s.opts.Member)
		s.owner.setOwned(owned)
		s.m.assigned.Set(float64(len(owned)))
	}
	c, err := js.Consumer(ctx, l.GroupStream(), s.opts.Member)
	if err != nil {
		return
	}
	info, err := c.Info(ctx)
	if err != nil {
		return
	}
	s.m.pending.Set(float64(info.NumPending))
	s.m.ackPending.Set(float64(info.NumAckPending))
	pin := s.owner.currentPin()
	pinned := pin != "" && slices.ContainsFunc(info.PriorityGroups, func(g jetstream.PriorityGroupState) bool {
		return g.PinnedClientID == pin
	})
	if pin != "" && !pinned && slices.ContainsFunc(info.PriorityGroups, func(g jetstream.PriorityGroupState) bool {
		return g.PinnedClientID != ""
	}) {
		s.owner.unpinned(pin) // another instance of the member is pinned now
	}
	s.m.setPinned(pinned)
}
