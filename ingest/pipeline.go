package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/store"
)

// Sink takes one message's encoded data and acknowledges it once durable (store.Sink).
type Sink interface {
	Put(ctx context.Context, b store.Batch) error
}

// Observer sees every accepted message's readings (rules, AQI, last values) and appends the
// points it derives from them (violations, indices) to lines, so that they are written and
// acknowledged together with the message. It must be safe for concurrent use and must not
// block.
type Observer interface {
	Observe(rs []quantrac.Reading, lines []byte) ([]byte, int)
}

// PipelineOptions configures a Pipeline.
type PipelineOptions struct {
	Template        *Template
	Registry        func() *quantrac.Registry // the current registry (it may be swapped on SIGHUP)
	Limits          payload.Limits
	MaxPayloadBytes int
	Formats         map[string]payload.Format // MQTT topic filter → forced format
	Sink            Sink
	Observer        Observer // may be nil
	Workers         int      // decode workers (default 2)
	// NoQuarantine leaves rejected messages out of rejected_messages (replay: they are
	// there already).
	NoQuarantine bool
	Now          func() time.Time
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
}

// Pipeline decodes, validates and routes messages.
type Pipeline struct {
	opts PipelineOptions
	m    *metrics
	warn *throttle
}

// NewPipeline builds a Pipeline and registers its metrics; it does no I/O.
func NewPipeline(o PipelineOptions) *Pipeline {
	if o.Workers < 1 {
		o.Workers = 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{opts: o, m: newMetrics(o.Registerer), warn: newThrottle(o.Logger, time.Minute)}
}

// Run processes messages from in with Workers goroutines until in is closed and every
// message taken has been handed to the sink.
func (p *Pipeline) Run(ctx context.Context, in <-chan Message) error {
	var wg sync.WaitGroup
	for range p.opts.Workers {
		wg.Go(func() {
			w := p.newWorker()
			idler, _ := p.opts.Sink.(interface{ Idle() })
			for msg := range in {
				_, _ = w.handle(ctx, msg)
				if idler != nil && len(in) == 0 {
					idler.Idle() // nothing waiting: write now rather than after flush_interval
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// worker holds one decode goroutine's reusable buffers.
type worker struct {
	p      *Pipeline
	parser *payload.Parser
	res    payload.Result
	lines  []byte
}

func (p *Pipeline) newWorker() *worker {
	return &worker{p: p, parser: payload.NewParser(p.opts.Limits)}
}

// Handler processes messages one at a time on the caller's goroutine (replay, tests).
type Handler struct{ w *worker }

// Handler returns a Handler with its own buffers; it is not safe for concurrent use.
func (p *Pipeline) Handler() *Handler { return &Handler{p.newWorker()} }

// Handle processes one message and returns its result (accepted, malformed, …).
func (h *Handler) Handle(ctx context.Context, msg Message) (string, error) {
	return h.w.handle(ctx, msg)
}

func (w *worker) handle(ctx context.Context, msg Message) (string, error) {
	p := w.p
	p.m.received.Inc()
	st, kind, reason, err := p.route(msg)
	if reason != "" {
		return reason, w.reject(ctx, msg, st, reason, err)
	}
	if kind == "status" {
		p.stationStatus(st, msg.Payload)
		p.m.messages.WithLabelValues(ResultAccepted).Inc()
		return ResultAccepted, p.opts.Sink.Put(ctx, store.Batch{Ack: msg.Ack})
	}
	w.res.Reset()
	err = w.parser.Parse(p.format(msg.Topic), st, quantrac.Kind(kind), msg.Payload, msg.Received, &w.res)
	if err != nil {
		var me *payload.MessageError
		reason := ResultMalformed
		if errors.As(err, &me) {
			reason = me.Reason
		}
		return reason, w.reject(ctx, msg, st, reason, err)
	}
	return w.accept(ctx, msg, st)
}

// route finds the station and kind of a message, or the reason to reject it.
func (p *Pipeline) route(msg Message) (st *quantrac.Station, kind, reason string, err error) {
	if len(msg.Payload) > p.opts.MaxPayloadBytes {
		return nil, "", ResultTooLarge, fmt.Errorf("payload of %d bytes exceeds limits.max_payload_bytes %d", len(msg.Payload), p.opts.MaxPayloadBytes)
	}
	id, kind, ok := p.opts.Template.Match(msg.Topic)
	if !ok {
		return nil, "", ResultMalformed, fmt.Errorf("topic %q does not match the topic template", msg.Topic)
	}
	st = p.opts.Registry().Station(id)
	if st == nil {
		return nil, "", ResultUnknownStation, fmt.Errorf("station %q is not in the registry", id)
	}
	switch {
	case kind == "status":
	case kind == "":
		kind = string(st.Kind)
	case kind != string(st.Kind):
		return st, "", ResultForbidden, fmt.Errorf("station %s is a %s station, not %s", st.ID, st.Kind, kind)
	}
	if len(st.Topics) > 0 && !matchesAny(st.Topics, msg.Topic) {
		return st, "", ResultForbidden, fmt.Errorf("topic %q is not in station %s's topic allow-list", msg.Topic, st.ID)
	}
	return st, kind, "", nil
}

// StatusObserver is told what stations publish on their status topic.
type StatusObserver interface {
	SetStationStatus(station string, online bool)
}

// stationStatus passes an "online"/"offline" status message (plain, or JSON
// {"status": "offline"}) to the observer; other payloads are ignored.
func (p *Pipeline) stationStatus(st *quantrac.Station, payload []byte) {
	so, ok := p.opts.Observer.(StatusObserver)
	if !ok {
		return
	}
	v := strings.ToLower(strings.Trim(string(payload), " \t\r\n\"{}"))
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(v, `status"`)), ":"))
	switch strings.Trim(v, `" `) {
	case "online":
		so.SetStationStatus(st.ID, true)
	case "offline":
		so.SetStationStatus(st.ID, false)
	}
}

// format returns the payload format forced for topic, or payload.Auto.
func (p *Pipeline) format(topic string) payload.Format {
	for filter, f := range p.opts.Formats {
		if MatchFilter(filter, topic) {
			return f
		}
	}
	return payload.Auto
}

// accept hands the readings to the observer and their lines to the sink; a partly valid
// message is also kept in rejected_messages with the reasons of its rejected readings.
func (w *worker) accept(ctx context.Context, msg Message, st *quantrac.Station) (string, error) {
	p, res := w.p, &w.res
	for _, rj := range res.Rejected {
		p.m.rejected.WithLabelValues(rj.Reason).Inc()
	}
	if len(res.Readings) == 0 {
		reason, detail := rejectedSummary(res.Rejected)
		if reason == "" {
			reason, detail = "empty", "the message holds no readings"
		}
		p.m.messages.WithLabelValues(ResultInvalid).Inc()
		return ResultInvalid, w.keep(ctx, msg, st, ResultInvalid, reason, detail, nil, 0, 0)
	}
	p.m.accepted.Inc()
	flagged := 0
	for i := range res.Readings {
		if !res.Readings[i].Valid() {
			flagged++
		}
	}
	p.m.readingsOf(string(st.Kind)).Add(float64(len(res.Readings)))
	if flagged > 0 {
		p.m.flagged.Add(float64(flagged))
	}
	w.lines = w.lines[:0]
	var points int
	w.lines, points = store.AppendReadings(w.lines, st, res.Readings)
	if p.opts.Observer != nil {
		var derived int
		w.lines, derived = p.opts.Observer.Observe(res.Readings, w.lines)
		points += derived
	}
	if len(res.Rejected) > 0 {
		reason, detail := rejectedSummary(res.Rejected)
		return ResultAccepted, w.keep(ctx, msg, st, "", reason, detail, w.lines, points, len(res.Readings))
	}
	return ResultAccepted, p.opts.Sink.Put(ctx, store.Batch{Lines: w.lines, Points: points, Readings: len(res.Readings), Ack: msg.Ack, Topic: msg.Topic, Station: st.ID})
}

// reject counts and keeps a message refused as a whole.
func (w *worker) reject(ctx context.Context, msg Message, st *quantrac.Station, reason string, err error) error {
	w.p.m.messages.WithLabelValues(reason).Inc()
	w.lines = w.lines[:0]
	return w.keep(ctx, msg, st, reason, reason, err.Error(), nil, 0, 0)
}

// keep writes the rejected_messages entry (after lines, if any) and logs it, throttled.
func (w *worker) keep(ctx context.Context, msg Message, st *quantrac.Station, result, reason, detail string, lines []byte, points, readings int) error {
	p := w.p
	stationID := ""
	if st != nil {
		stationID = st.ID
	}
	payloadKept := msg.Payload
	if len(payloadKept) > p.opts.MaxPayloadBytes {
		payloadKept = payloadKept[:p.opts.MaxPayloadBytes]
		detail += fmt.Sprintf(" (payload truncated to its first %d bytes)", p.opts.MaxPayloadBytes)
	}
	if !p.opts.NoQuarantine {
		rj := quantrac.Rejection{Reason: reason, Station: stationID, Topic: msg.Topic, Payload: payloadKept, Err: detail, Received: msg.Received}
		lines = store.AppendRejection(lines, &rj)
		points++
	}
	w.lines = lines
	p.warn.warn(p.opts.Now(), reason, "message rejected", "result", result, "topic", msg.Topic, "error", detail)
	return p.opts.Sink.Put(ctx, store.Batch{Lines: lines, Points: points, Readings: readings, Ack: msg.Ack, Topic: msg.Topic, Station: stationID})
}

// rejectedSummary names the first reason and lists every rejected reading.
func rejectedSummary(rs []payload.RejectedReading) (reason, detail string) {
	if len(rs) == 0 {
		return "", ""
	}
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s: %s", r.Param, r.Reason, r.Err)
	}
	return rs[0].Reason, b.String()
}
