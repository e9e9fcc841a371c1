package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/store"
)

// ReplayFilter selects quarantined messages.
type ReplayFilter struct {
	Since   time.Duration
	Reason  string // "" for every reason
	Station string // "" for every station (matched against the topic)
}

// ReplayReport says what a replay did.
type ReplayReport struct {
	Messages int            `json:"messages"`
	Results  map[string]int `json:"results"`
}

// Replay re-ingests the quarantined messages that match f through the ingest pipeline and
// waits until their data is written.
func Replay(ctx context.Context, cfg *config.Config, f ReplayFilter, log *slog.Logger) (*ReplayReport, error) {
	d := &Daemon{cfg: cfg, opts: Options{Logger: log, WebListenAddress: "127.0.0.1:0"}, log: log, reg: prometheus.NewRegistry()}
	reg, err := LoadRegistry(cfg, log)
	if err != nil {
		return nil, err
	}
	d.registry.Store(reg)
	if err := d.buildStore(false); err != nil {
		return nil, err
	}
	pipe, err := d.newPipeline(true)
	if err != nil {
		return nil, err
	}
	tmpl, _ := ingest.ParseTemplate(cfg.MQTT.TopicTemplate)
	msgs, err := quarantined(ctx, store.NewQuerier(d.writerOptions(), nil), f)
	if err != nil {
		return nil, err
	}
	sinkDone := make(chan struct{})
	go func() { _ = d.sink.Run(ctx); close(sinkDone) }()
	rep := &ReplayReport{Results: map[string]int{}}
	h := pipe.Handler()
	for _, m := range msgs {
		if station, _, _ := tmpl.Match(m.Topic); f.Station != "" && station != f.Station {
			continue
		}
		res, err := h.Handle(ctx, m)
		if err != nil {
			break
		}
		rep.Messages++
		rep.Results[res]++
	}
	d.sink.Close()
	<-sinkDone
	d.writer.Close()
	return rep, ctx.Err()
}

// quarantined reads the matching rejected_messages entries, oldest first.
func quarantined(ctx context.Context, q *store.Querier, f ReplayFilter) ([]ingest.Message, error) {
	where := fmt.Sprintf("time > now() - %ds", int64(f.Since.Seconds()))
	if f.Reason != "" {
		where += " AND reason = " + store.QuoteString(f.Reason)
	}
	series, err := q.Query(ctx, "SELECT topic, payload FROM "+store.MeasurementRejected+" WHERE "+where+" ORDER BY time ASC")
	if err != nil {
		return nil, err
	}
	var msgs []ingest.Message
	now := time.Now()
	for _, s := range series {
		for _, row := range s.Values {
			if len(row) < 3 {
				continue
			}
			topic, _ := row[1].(string)
			payload, _ := row[2].(string)
			msgs = append(msgs, ingest.Message{Topic: topic, Payload: []byte(payload), Received: now})
		}
	}
	return msgs, nil
}
