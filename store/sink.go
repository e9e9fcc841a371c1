package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/logthrottle"
	"github.com/quantrac/quantrac/internal/retry"
	"github.com/quantrac/quantrac/store/spool"
)

// LineWriter writes line protocol to InfluxDB: all the sink needs of it (InfluxWriter is the
// real one). A failure for which Retryable holds may succeed later with the same data; any
// other failure is a refusal of the data itself.
type LineWriter interface {
	Write(ctx context.Context, body []byte, points int) error
}

// Spool is the durable local buffer the Sink falls back to while InfluxDB is unavailable
// (store/spool). Append returns only once rec is on disk, spool.ErrFull when there is no
// room and spool.ErrTooLarge for a record that can never fit; Next returns the oldest
// record until Confirm.
type Spool interface {
	Append(rec []byte) error
	Next(ctx context.Context) (spool.Record, error)
	Confirm(seq uint64) error
}

// SinkOptions configures a Sink.
type SinkOptions struct {
	BatchSize     int           // points per InfluxDB write
	FlushInterval time.Duration // longest time data waits for a full batch
	Writers       int           // concurrent InfluxDB writes (default 2)
	Spool         Spool         // nil: retry InfluxDB until it answers, acknowledging nothing meanwhile
	// Quarantined, when set, is told the station and the oldest reading time of a message whose
	// readings InfluxDB refused for good: the one flow back to the rules, which take the
	// readings out of their verdicts (a quarantined reading counts in none).
	Quarantined func(station string, oldest time.Time)
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
}

// Sink encodes envelopes, batches them, writes them to InfluxDB (or the spool) and decides
// each message's fate (decide): a message is acknowledged once durable or durably
// quarantined, and held otherwise. Put blocks while all writers are busy and a full batch
// waits: backpressure reaches the broker instead of memory growing.
type Sink struct {
	w    LineWriter
	opts SinkOptions
	out  chan *pending
	log  *slog.Logger
	bufs sync.Pool // *[]byte encoding buffers, so that Put encodes outside the lock

	mu     sync.Mutex // guards cur, closed and idle
	cur    *pending
	closed bool
	idle   bool // Idle was called after the last Put: nothing waits upstream
	stop   chan struct{}

	busy atomic.Int32  // writers writing a batch
	kick chan struct{} // a writer is done: send what waited for it (tick)
	held chan heldSet  // messages not durable yet, for the retrier

	warn *logthrottle.Throttle // outages show in the log without flooding it

	m sinkMetrics
}

// pending is a batch of messages on its way to InfluxDB.
type pending struct {
	body    []byte
	points  int
	msgs    []message
	created time.Time
}

// message is one message of a pending batch: where its lines are, what to do once it is
// durable, and what to quarantine if InfluxDB refuses its lines.
type message struct {
	start, end, points int
	readings           int
	ack                func()
	origin             quantrac.Envelope // Topic, Payload, Received, Station only: for the quarantine entry
	oldest             time.Time         // the oldest reading's time: what a quarantine takes back from the rules
	settled            bool
	held               string // why it was last held (heldUnavailable, heldRefused)
}

// maxHeldSets bounds the batches with held messages waiting for the retrier; past it the
// writers wait (backpressure). The broker's in-flight window bounds the messages in them.
const maxHeldSets = 1024

// NewSink builds a Sink; it does no I/O.
func NewSink(w LineWriter, o SinkOptions) *Sink {
	if o.Writers < 1 {
		o.Writers = 2
	}
	if o.BatchSize < 1 {
		o.BatchSize = 5000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{
		w: w, opts: o, log: o.Logger, warn: logthrottle.New(o.Logger, 5*time.Second),
		out:  make(chan *pending, o.Writers),
		cur:  &pending{},
		stop: make(chan struct{}),
		kick: make(chan struct{}, 1),
		held: make(chan heldSet, maxHeldSets),
		m:    newSinkMetrics(o.Registerer),
	}
	s.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	return s
}

// Put encodes one message's envelope and queues it. e and its slices may be reused once Put
// returns, except e.Payload, which must stay unchanged until the message is acknowledged or
// the sink has stopped. It blocks while the writers are busy and the current batch is full,
// until ctx is done.
func (s *Sink) Put(ctx context.Context, e *quantrac.Envelope) error {
	buf := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(buf)
	lines, points := AppendEnvelope((*buf)[:0], e)
	*buf = lines
	msg := message{points: points, readings: len(e.Readings), ack: e.Ack, oldest: oldestReading(e.Readings),
		origin: quantrac.Envelope{Topic: e.Topic, Payload: e.Payload, Received: e.Received, Station: e.Station}}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("store: Put on a closed sink")
	}
	s.idle = false
	c := s.cur
	if len(c.msgs) == 0 {
		c.created = time.Now()
	}
	msg.start = len(c.body)
	c.body = append(c.body, lines...)
	msg.end = len(c.body)
	c.points += points
	c.msgs = append(c.msgs, msg)
	s.m.pendingPoints.Add(float64(points))
	s.m.pendingReadings.Add(float64(msg.readings))
	if c.points >= s.opts.BatchSize {
		return s.sendLocked(ctx)
	}
	return nil
}

// sendLocked hands the current batch to the writers; s.mu is held.
func (s *Sink) sendLocked(ctx context.Context) error {
	if len(s.cur.msgs) == 0 {
		return nil
	}
	select {
	case s.out <- s.cur:
	case <-ctx.Done():
		return ctx.Err() // the batch stays current; nothing is acknowledged or lost
	}
	s.cur = &pending{body: make([]byte, 0, cap(s.cur.body)), msgs: make([]message, 0, cap(s.cur.msgs))}
	return nil
}

// Idle tells the sink that no more messages are waiting upstream. When no writer is busy,
// the current batch is sent at once instead of after FlushInterval; otherwise it is sent as
// soon as a writer is done (see written), holding whatever arrived meanwhile. This keeps the
// latency low and lets a broker that allows only a few unacknowledged messages per client
// (Mosquitto's default is 20) go on sending, while under load a batch grows for as long as a
// write takes: InfluxDB's cost per point falls steeply with the size of a write (BENCHMARKS.md).
func (s *Sink) Idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idle = true
	if s.busy.Load() == 0 {
		s.sendIdleLocked()
	}
}

// sendIdleLocked sends the current batch without waiting, when upstream is idle and no batch
// waits for a writer; s.mu is held.
func (s *Sink) sendIdleLocked() {
	if s.closed || !s.idle || len(s.cur.msgs) == 0 || len(s.out) > 0 {
		return
	}
	select {
	case s.out <- s.cur:
		s.cur = &pending{body: make([]byte, 0, cap(s.cur.body)), msgs: make([]message, 0, cap(s.cur.msgs))}
	default:
	}
}

// written is called by a writer done with a batch: tick then sends what waited for it. (A
// writer cannot take s.mu itself: Put holds it while it waits for a writer.)
func (s *Sink) written() {
	s.busy.Add(-1)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Close tells the sink that no more batches come; Run then flushes and returns.
func (s *Sink) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
}

// Run writes batches until Close has been called and everything is flushed, or until ctx is
// cancelled: then messages still held stay unacknowledged, and the broker redelivers them.
// What is in the spool is durable and is replayed after a restart.
func (s *Sink) Run(ctx context.Context) error {
	var retrier, wg sync.WaitGroup
	retrier.Go(func() { s.retry(ctx) })
	for range s.opts.Writers {
		wg.Go(func() {
			for p := range s.out {
				s.busy.Add(1)
				s.flush(ctx, p)
				s.written()
			}
		})
	}
	replayCtx, stopReplay := context.WithCancel(ctx)
	defer stopReplay()
	if s.opts.Spool != nil {
		wg.Go(func() { s.replay(replayCtx) })
	}
	s.tick(ctx)
	s.mu.Lock()
	_ = s.sendLocked(ctx)
	s.mu.Unlock()
	close(s.out)
	stopReplay()
	wg.Wait()
	close(s.held)
	retrier.Wait()
	return nil
}

// tick sends the current batch when it has waited FlushInterval, or when a writer is done
// and nothing waits upstream (Idle), until Close or ctx.
func (s *Sink) tick(ctx context.Context) {
	ticker := time.NewTicker(max(s.opts.FlushInterval/4, time.Millisecond))
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			s.mu.Lock()
			if len(s.cur.msgs) > 0 && time.Since(s.cur.created) >= s.opts.FlushInterval {
				_ = s.sendLocked(ctx)
			}
			s.mu.Unlock()
		case <-s.kick:
			s.mu.Lock()
			s.sendIdleLocked()
			s.mu.Unlock()
		case <-s.stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// warnEvery logs msg at most once per 5 seconds per key.
func (s *Sink) warnEvery(level slog.Level, key, msg string, args ...any) {
	s.warn.Log(time.Now(), level, key, msg, args...)
}

// backoff is a retry delay doubling from 100 ms to 10 s, jittered (internal/retry), or what
// InfluxDB asks for with a longer Retry-After, up to MaxRetryAfter.
type backoff time.Duration

func (b *backoff) next(err error) time.Duration {
	d := max(time.Duration(*b), 100*time.Millisecond)
	asked := false
	if we := (*WriteError)(nil); errors.As(err, &we) && we.RetryAfter > d {
		d, asked = min(we.RetryAfter, MaxRetryAfter), true
	}
	*b = backoff(min(2*d, 10*time.Second))
	if asked {
		return d
	}
	return retry.Jitter(d)
}

// oldestReading returns the time of the oldest of rs (zero when none).
func oldestReading(rs []quantrac.Reading) time.Time {
	var t time.Time
	for i := range rs {
		if t.IsZero() || rs[i].Time.Before(t) {
			t = rs[i].Time
		}
	}
	return t
}
