package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac/store/spool"
)

// Batch is the encoded data of one message and what to do once it is durable.
type Batch struct {
	Lines  []byte // line protocol, one or more complete lines
	Points int    // number of lines in Lines
	// Readings is the number of accepted readings in Lines, for the accounting identity
	// quantrac_readings_total = quantrac_readings_durable_total + quantrac_readings_pending.
	Readings int
	Ack      func() // called once Lines is in InfluxDB or the spool; may be nil
	// Topic and Station describe the message, for the quarantine entry if InfluxDB refuses
	// its lines for good.
	Topic, Station string
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
	Logger        *slog.Logger
	Registerer    prometheus.Registerer
}

// Sink batches messages' lines, writes them to InfluxDB (or the spool) and acknowledges each
// message once its data is durable. Put copies the lines, so callers may reuse their buffers.
// Put blocks while all writers are busy and a full batch waits: backpressure reaches the
// broker instead of memory growing.
type Sink struct {
	w    *Writer
	opts SinkOptions
	out  chan *pending
	log  *slog.Logger

	mu     sync.Mutex // guards cur, closed and idle
	cur    *pending
	closed bool
	idle   bool // Idle was called after the last Put: nothing waits upstream
	stop   chan struct{}

	busy atomic.Int32  // writers writing a batch
	kick chan struct{} // a writer is done: send what waited for it (tick)

	warnMu   sync.Mutex
	lastWarn map[string]time.Time

	pendingPoints   prometheus.Gauge
	pendingReadings prometheus.Gauge
	durable         prometheus.Counter
	spooled         prometheus.Counter
	quarantined     prometheus.Counter
}

// pending is a batch of messages on its way to InfluxDB.
type pending struct {
	body    []byte
	points  int
	msgs    []msgSpan
	created time.Time
	acked   int // messages msgs[:acked] are durable (spooled) and acknowledged
}

// msgSpan locates one message's lines inside a pending body.
type msgSpan struct {
	start, end, points int
	readings           int
	ack                func()
	topic, station     string
}

// NewSink builds a Sink; it does no I/O.
func NewSink(w *Writer, o SinkOptions) *Sink {
	if o.Writers < 1 {
		o.Writers = 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{
		w: w, opts: o, log: o.Logger,
		out:  make(chan *pending, o.Writers),
		cur:  &pending{},
		stop: make(chan struct{}),
		kick: make(chan struct{}, 1),
		pendingPoints: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_points_pending", Help: "Points accepted but not yet durable (in memory, waiting for InfluxDB or the spool).",
		}),
		pendingReadings: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quantrac_readings_pending", Help: "Accepted readings not yet durable (in memory).",
		}),
		durable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_readings_durable_total", Help: "Accepted readings made durable (in InfluxDB or the spool) and acknowledged.",
		}),
		spooled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_points_spooled_total", Help: "Points written to the local spool because InfluxDB was unavailable.",
		}),
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_points_quarantined_total", Help: "Points InfluxDB refused for good (type conflict, outside retention), kept in rejected_messages.",
		}),
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(s.pendingPoints, s.pendingReadings, s.durable, s.spooled, s.quarantined)
	}
	return s
}

// Put hands one message's data to the sink; it copies b.Lines. It blocks while the writers
// are busy and the current batch is full, until ctx is done.
func (s *Sink) Put(ctx context.Context, b Batch) error {
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
	start := len(c.body)
	c.body = append(c.body, b.Lines...)
	c.points += b.Points
	c.msgs = append(c.msgs, msgSpan{start: start, end: len(c.body), points: b.Points, readings: b.Readings, ack: b.Ack, topic: b.Topic, station: b.Station})
	s.pendingPoints.Add(float64(b.Points))
	s.pendingReadings.Add(float64(b.Readings))
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
	s.cur = &pending{body: make([]byte, 0, cap(s.cur.body)), msgs: make([]msgSpan, 0, cap(s.cur.msgs))}
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
		s.cur = &pending{body: make([]byte, 0, cap(s.cur.body)), msgs: make([]msgSpan, 0, cap(s.cur.msgs))}
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
// cancelled (then unflushed data stays unacknowledged: the broker redelivers it).
func (s *Sink) Run(ctx context.Context) error {
	var wg sync.WaitGroup
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
	stopReplay() // what is in the spool is durable; it is replayed after the restart
	wg.Wait()
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

// flush makes p durable, then acknowledges its messages. It gives up only when ctx is done.
func (s *Sink) flush(ctx context.Context, p *pending) {
	backoff := 100 * time.Millisecond
	for {
		err := s.w.Write(ctx, p.body, p.points)
		switch {
		case err == nil:
			s.done(p)
			return
		case !Retryable(err):
			s.writeOneByOne(ctx, p)
			s.done(p)
			return
		}
		if s.opts.Spool != nil {
			serr := s.spoolBatch(p, p.acked, len(p.msgs))
			if serr == nil {
				s.warnSpooled(err, p.points)
				s.done(p)
				return
			}
			if !errors.Is(serr, spool.ErrFull) {
				s.log.Error("spool append failed; holding acknowledgements", "err", serr)
			} else {
				s.log.Warn("spool full; holding acknowledgements (backpressure) until InfluxDB takes data")
			}
		}
		s.log.Warn("InfluxDB unavailable; retrying", "err", err, "points", p.points, "retry_in", backoff)
		if we := (*WriteError)(nil); errors.As(err, &we) && we.RetryAfter > backoff {
			backoff = we.RetryAfter
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// warnSpooled says why data went to the spool, at most every few seconds.
func (s *Sink) warnSpooled(err error, points int) {
	s.warnEvery("spooled", "InfluxDB write failed; data spooled", "err", err, "points", points)
}

// warnEvery logs msg at most once per 5 seconds per key: an outage must be visible in the
// log without flooding it.
func (s *Sink) warnEvery(key, msg string, args ...any) {
	now := time.Now()
	s.warnMu.Lock()
	if s.lastWarn == nil {
		s.lastWarn = map[string]time.Time{}
	}
	if now.Sub(s.lastWarn[key]) < 5*time.Second {
		s.warnMu.Unlock()
		return
	}
	s.lastWarn[key] = now
	s.warnMu.Unlock()
	s.log.Warn(msg, args...)
}

// done acknowledges every message of a durable batch not acknowledged yet.
func (s *Sink) done(p *pending) { s.ackUpTo(p, len(p.msgs)) }

// ackUpTo acknowledges the messages of p before index to, which are durable.
func (s *Sink) ackUpTo(p *pending, to int) {
	var points, readings int
	for _, m := range p.msgs[p.acked:to] {
		if m.ack != nil {
			m.ack()
		}
		points += m.points
		readings += m.readings
	}
	s.pendingPoints.Sub(float64(points))
	s.pendingReadings.Sub(float64(readings))
	s.durable.Add(float64(readings))
	p.acked = max(p.acked, to)
}

// writeOneByOne writes a refused batch message by message, so one bad message cannot block
// the others; the lines InfluxDB refuses for good go to rejected_messages.
func (s *Sink) writeOneByOne(ctx context.Context, p *pending) {
	for _, m := range p.msgs {
		lines := p.body[m.start:m.end]
		err := s.w.Write(ctx, lines, m.points)
		if err == nil || Retryable(err) && s.spoolOrWait(ctx, lines) {
			continue
		}
		s.quarantined.Add(float64(m.points))
		s.log.Warn("InfluxDB refused a message's points; quarantined", "topic", m.topic, "err", err)
		q := AppendRejection(nil, rejectionOf(m, lines, err))
		if qerr := s.w.Write(ctx, q, 1); qerr != nil {
			s.log.Error("could not quarantine refused points", "topic", m.topic, "err", qerr)
		}
	}
}

// spoolOrWait tries the spool for lines after a retryable failure in the one-by-one path.
func (s *Sink) spoolOrWait(ctx context.Context, lines []byte) bool {
	for s.opts.Spool != nil && ctx.Err() == nil {
		if err := s.opts.Spool.Append(lines); err == nil {
			return true
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	return false
}

// spoolBatch appends the messages msgs[from:to] of p to the spool as one record, or split in
// halves when the record is too large for a spool segment, and acknowledges each part once
// it is on disk. On ErrFull the parts spooled so far stay acknowledged; a retry continues
// after them.
func (s *Sink) spoolBatch(p *pending, from, to int) error {
	body := p.body[p.msgs[from].start:p.msgs[to-1].end]
	err := s.opts.Spool.Append(body)
	if errors.Is(err, spool.ErrTooLarge) && to-from > 1 {
		mid := (from + to) / 2
		if err := s.spoolBatch(p, from, mid); err != nil {
			return err
		}
		return s.spoolBatch(p, mid, to)
	}
	if err == nil {
		for _, m := range p.msgs[from:to] {
			s.spooled.Add(float64(m.points))
		}
		s.ackUpTo(p, to)
	}
	return err
}

// replay drains the spool into InfluxDB, oldest first, whenever InfluxDB takes writes.
func (s *Sink) replay(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		rec, err := s.opts.Spool.Next(ctx)
		if err != nil {
			return // ctx done or spool closed
		}
		err = s.w.Write(ctx, rec.Data, bytes.Count(rec.Data, []byte{'\n'}))
		if err != nil && !Retryable(err) {
			s.writeLinesOneByOne(ctx, rec.Data)
			err = nil
		}
		if err != nil {
			s.warnEvery("replay", "InfluxDB write of spooled data failed; retrying", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if err := s.opts.Spool.Confirm(rec.Seq); err != nil {
			s.log.Error("spool confirm failed", "seq", rec.Seq, "err", err)
		}
	}
}

// writeLinesOneByOne writes a spooled record InfluxDB refused line by line; the lines it
// refuses for good are quarantined.
func (s *Sink) writeLinesOneByOne(ctx context.Context, data []byte) {
	for line := range bytes.Lines(data) {
		err := s.w.Write(ctx, line, 1)
		for err != nil && Retryable(err) && ctx.Err() == nil {
			time.Sleep(time.Second)
			err = s.w.Write(ctx, line, 1)
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		s.quarantined.Inc()
		q := AppendRejection(nil, rejectionOf(msgSpan{topic: "(spool)"}, line, err))
		if qerr := s.w.Write(ctx, q, 1); qerr != nil {
			s.log.Error("could not quarantine refused point", "err", qerr)
		}
	}
}
