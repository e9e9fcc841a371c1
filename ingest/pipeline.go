package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/logthrottle"
)

// Store takes each message's envelope, keeps its data and acknowledges it once durable
// (store.Sink). Put may reuse nothing of the envelope after it returns but e.Payload.
type Store interface {
	Put(ctx context.Context, e *quantrac.Envelope) error
}

// Observer sees every accepted message's envelope (rules, AQI, last values) and adds what it
// derives from the readings (violation transitions, indices), so that they are stored and
// acknowledged together with the message. It must be safe for concurrent use and must not
// block.
type Observer interface {
	Observe(e *quantrac.Envelope)
}

// StatusObserver is told what stations publish on their status topic.
type StatusObserver interface {
	SetStationStatus(station string, online bool)
}

// PipelineOptions configures a Pipeline.
type PipelineOptions struct {
	Template        *Template
	Registry        func() *quantrac.Registry // the current registry (it may be swapped on SIGHUP)
	Limits          payload.Limits
	MaxPayloadBytes int
	// Formats forces a format on the topics an MQTT filter matches. When several filters match
	// a topic, the one with more literal levels (not + or #) wins; config validation refuses
	// two filters that can match one topic with as many literal levels each.
	Formats    map[string]payload.Format
	Store      Store
	Observer   Observer       // may be nil
	Status     StatusObserver // may be nil
	Workers    int            // decode workers (default 2)
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Pipeline decodes, validates and routes messages: each becomes one envelope for the store.
type Pipeline struct {
	opts    PipelineOptions
	formats []formatFilter // Formats, most specific first
	m       *metrics
	warn    *logthrottle.Throttle // rejected messages: bad input is data, not log spam
}

// formatFilter is one entry of PipelineOptions.Formats.
type formatFilter struct {
	filter string
	format payload.Format
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
	return &Pipeline{opts: o, formats: formatOrder(o.Formats), m: newMetrics(o.Registerer), warn: logthrottle.New(o.Logger, time.Minute)}
}

// Run processes messages from in with Workers goroutines until in is closed and every
// message taken has been handed to the store. It returns the first error of the store (a
// closed store, or ctx done while the store applied backpressure).
func (p *Pipeline) Run(ctx context.Context, in <-chan Message) error {
	var wg sync.WaitGroup
	errs := make([]error, p.opts.Workers)
	for n := range p.opts.Workers {
		wg.Go(func() {
			w := p.newWorker()
			idler, _ := p.opts.Store.(interface{ Idle() })
			for msg := range in {
				if _, err := w.handle(ctx, msg); err != nil && errs[n] == nil {
					errs[n] = err // the message stays unacknowledged: the broker redelivers it
				}
				if idler != nil && len(in) == 0 {
					idler.Idle() // nothing waiting: write now rather than after flush_interval
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// worker holds one decode goroutine's reusable buffers.
type worker struct {
	p      *Pipeline
	parser *payload.Parser
	res    payload.Result
	env    quantrac.Envelope
}

func (p *Pipeline) newWorker() *worker {
	return &worker{p: p, parser: payload.NewParser(p.opts.Limits)}
}

// Handler processes messages one at a time on the caller's goroutine (tests, benchmarks).
type Handler struct{ w *worker }

// Handler returns a Handler with its own buffers; it is not safe for concurrent use.
func (p *Pipeline) Handler() *Handler { return &Handler{p.newWorker()} }

// Handle processes one message and returns its result (accepted, malformed, …).
func (h *Handler) Handle(ctx context.Context, msg Message) (string, error) {
	return h.w.handle(ctx, msg)
}

// handle turns one message into its envelope, hands it to the store and returns the
// message's result.
func (w *worker) handle(ctx context.Context, msg Message) (string, error) {
	p, e := w.p, &w.env
	p.m.received.Inc()
	e.Reset()
	e.Topic, e.Payload, e.Received, e.Ack = msg.Topic, msg.Payload, msg.Received, msg.Ack
	st, kind, result, err := p.route(msg)
	e.Station = st
	switch {
	case result == ResultTooLarge:
		// Kept, but no larger than the limit: a limit that stored unbounded payloads would
		// not be one.
		e.Payload = e.Payload[:p.opts.MaxPayloadBytes]
		w.reject(result, result, fmt.Sprintf("%v (payload kept: its first %d bytes)", err, p.opts.MaxPayloadBytes))
	case result != "":
		w.reject(result, result, err.Error())
	case kind == "status":
		result = w.status(st)
	default:
		result = w.decode(kind)
	}
	return result, p.opts.Store.Put(ctx, e)
}

// route finds the station and kind of a message, or the reason to refuse it.
func (p *Pipeline) route(msg Message) (st *quantrac.Station, kind, reason string, err error) {
	id, kind, ok := p.opts.Template.Match(msg.Topic)
	if ok {
		st = p.opts.Registry().Station(id)
	}
	switch {
	case len(msg.Payload) > p.opts.MaxPayloadBytes:
		return st, "", ResultTooLarge, fmt.Errorf("payload of %d bytes exceeds limits.max_payload_bytes %d", len(msg.Payload), p.opts.MaxPayloadBytes)
	case !ok:
		return nil, "", ResultMalformed, fmt.Errorf("topic %q does not match the topic template", msg.Topic)
	case st == nil:
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

// status handles a message on the station's status topic: "online" or "offline", plain or
// as JSON {"status": "offline"}. Anything else is refused as malformed (and kept).
func (w *worker) status(st *quantrac.Station) string {
	online, ok := parseStatus(w.env.Payload)
	if !ok {
		w.reject(ResultMalformed, ResultMalformed, `a status message must be "online" or "offline" (plain, or JSON {"status": …})`)
		return ResultMalformed
	}
	if w.p.opts.Status != nil {
		w.p.opts.Status.SetStationStatus(st.ID, online)
	}
	w.p.m.accepted.Inc()
	return ResultAccepted
}

// parseStatus reads "online"/"offline", plain or as JSON {"status": "…"}.
func parseStatus(b []byte) (online, ok bool) {
	v := strings.ToLower(strings.TrimSpace(string(b)))
	if strings.HasPrefix(v, "{") {
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}"))
		key, val, found := strings.Cut(v, ":")
		if !found || strings.TrimSpace(key) != `"status"` {
			return false, false
		}
		v = strings.TrimSpace(val)
	}
	switch strings.Trim(v, `"`) {
	case "online":
		return true, true
	case "offline":
		return false, true
	}
	return false, false
}

// decode parses the payload into the envelope's readings and, for a partly valid message,
// its rejection; then the observer derives transitions and indices. It returns the result.
func (w *worker) decode(kind string) string {
	p, e, res := w.p, &w.env, &w.res
	res.Reset()
	err := w.parser.Parse(p.format(e.Topic), e.Station, quantrac.Kind(kind), e.Payload, e.Received, res)
	if err != nil {
		var me *payload.MessageError
		reason := ResultMalformed
		if errors.As(err, &me) {
			reason = me.Reason
		}
		w.reject(reason, reason, err.Error())
		return reason
	}
	for i, n := range res.RejectedBy {
		if n > 0 {
			p.m.rejected.WithLabelValues(payload.RejectedReadingReasons()[i]).Add(float64(n))
		}
	}
	if len(res.Readings) == 0 {
		reason, detail := rejectedSummary(res)
		if reason == "" {
			reason, detail = "empty", "the message holds no readings"
		}
		w.reject(ResultInvalid, reason, detail)
		return ResultInvalid
	}
	p.m.accepted.Inc()
	w.countReadings()
	e.Readings = res.Readings // the worker owns both; the store copies what it keeps
	if len(res.Rejected) > 0 {
		reason, detail := rejectedSummary(res)
		e.Rejection = quantrac.Rejection{Reason: reason, Detail: detail}
		w.logRejected(ResultAccepted, reason, detail)
	}
	if p.opts.Observer != nil {
		p.opts.Observer.Observe(e)
	}
	return ResultAccepted
}

// countReadings counts the accepted readings of the current result.
func (w *worker) countReadings() {
	p, res := w.p, &w.res
	flagged := 0
	for i := range res.Readings {
		if !res.Readings[i].Valid() {
			flagged++
		}
	}
	p.m.readingsOf(string(w.env.Station.Kind)).Add(float64(len(res.Readings)))
	if flagged > 0 {
		p.m.flagged.Add(float64(flagged))
	}
}

// reject records that the message is refused as a whole (result) for reason.
func (w *worker) reject(result, reason, detail string) {
	w.p.m.messages.WithLabelValues(result).Inc()
	w.env.Rejection = quantrac.Rejection{Reason: reason, Detail: detail}
	w.logRejected(result, reason, detail)
}

// logRejected logs a refusal, throttled per reason.
func (w *worker) logRejected(result, reason, detail string) {
	w.p.warn.Log(w.p.opts.Now(), slog.LevelWarn, reason, "message rejected", "result", result, "topic", w.env.Topic, "error", detail, "reason", reason)
}

// format returns the payload format forced for topic by its most specific filter, or
// payload.Auto.
func (p *Pipeline) format(topic string) payload.Format {
	for _, f := range p.formats {
		if MatchFilter(f.filter, topic) {
			return f.format
		}
	}
	return payload.Auto
}

// formatOrder lists formats' filters by decreasing literal levels, then in lexical order, so
// that the filter chosen for a topic never depends on map order.
func formatOrder(formats map[string]payload.Format) []formatFilter {
	out := make([]formatFilter, 0, len(formats))
	for filter, f := range formats {
		out = append(out, formatFilter{filter, f})
	}
	slices.SortFunc(out, func(a, b formatFilter) int {
		if c := cmp.Compare(literalLevels(b.filter), literalLevels(a.filter)); c != 0 {
			return c
		}
		return strings.Compare(a.filter, b.filter)
	})
	return out
}

// maxSummaryItems is how many rejected readings the error field of a rejected_messages entry
// itemizes.
const maxSummaryItems = 20

// rejectedSummary names the first reason and lists the first rejected readings.
func rejectedSummary(res *payload.Result) (reason, detail string) {
	rs := res.Rejected
	if len(rs) == 0 {
		return "", ""
	}
	var b strings.Builder
	for i, r := range rs[:min(len(rs), maxSummaryItems)] {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s: %s", r.Param, r.Reason, r.Err)
	}
	if more := max(0, len(rs)-maxSummaryItems) + res.RejectedMore; more > 0 {
		fmt.Fprintf(&b, "; … and %d more rejected readings", more)
	}
	return rs[0].Reason, b.String()
}
