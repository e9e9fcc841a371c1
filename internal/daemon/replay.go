package daemon

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/internal/mqttpub"
	"github.com/quantrac/quantrac/internal/tlsfiles"
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
	Quarantined int `json:"quarantined"` // entries matching the filter
	Republished int `json:"republished"` // distinct messages handed back to the broker
	// NotRepublished counts the entries that cannot be republished (spooled points with no
	// station topic); Refused says why, one line each.
	NotRepublished int      `json:"not_republished"`
	Refused        []string `json:"refused,omitempty"`
}

// quarantinedMessage is one rejected_messages entry to replay.
type quarantinedMessage struct {
	topic   string
	payload []byte
}

// Replay republishes the quarantined messages that match f to the broker, on their original
// topics at QoS 1, so that the running quantrac ingests them exactly like live data: rules and
// AQI included, acknowledged only once durable. Each distinct message (topic and exact bytes)
// is published once, oldest first; Replay returns when the broker has acknowledged them all.
// Messages refused again are quarantined again by the daemon.
func Replay(ctx context.Context, cfg *config.Config, f ReplayFilter, log *slog.Logger) (*ReplayReport, error) {
	tmpl, err := ingest.ParseTemplate(cfg.MQTT.TopicTemplate)
	if err != nil {
		return nil, err
	}
	q := store.NewQuerier(writerOptionsOf(cfg), nil)
	all, err := quarantined(ctx, q, f)
	if err != nil {
		return nil, err
	}
	rep := &ReplayReport{Quarantined: len(all)}
	all = resolveSpooled(all, cfg.MQTT.TopicTemplate, tmpl, f.Station, rep)
	msgs := distinct(all, func(m quarantinedMessage) bool {
		station, _, _ := tmpl.Match(m.topic)
		return f.Station == "" || station == f.Station
	})
	if len(msgs) == 0 {
		return rep, nil
	}
	pub, err := replayPublisher(cfg, log)
	if err != nil {
		return nil, err
	}
	defer pub.Close()
	if err := pub.ConnectRetry(ctx); err != nil {
		return rep, err
	}
	for _, m := range msgs {
		if err := pub.Publish(ctx, m.topic, m.payload); err != nil {
			return rep, fmt.Errorf("publishing to %s: %w", m.topic, err)
		}
		rep.Republished++
	}
	return rep, nil
}

// distinct keeps the first of each (topic, payload) that keep accepts, in order.
func distinct(msgs []quarantinedMessage, keep func(quarantinedMessage) bool) []quarantinedMessage {
	seen := map[string]bool{}
	var out []quarantinedMessage
	for _, m := range msgs {
		k := m.topic + "\x00" + string(m.payload)
		if seen[k] || !keep(m) {
			continue
		}
		seen[k] = true
		out = append(out, m)
	}
	return out
}

func replayPublisher(cfg *config.Config, log *slog.Logger) (*mqttpub.Publisher, error) {
	m := cfg.MQTT
	tc, err := tlsfiles.Files{CAFile: m.TLS.CAFile, CertFile: m.TLS.CertFile, KeyFile: m.TLS.KeyFile,
		ServerName: m.TLS.ServerName, InsecureSkipVerify: m.TLS.InsecureSkipVerify}.Config("mqtt")
	if err != nil {
		return nil, err
	}
	return mqttpub.New(mqttpub.Options{Broker: m.Broker, ClientID: m.ClientID + "-replay", // never the daemon's own id
		Username: m.Username, Password: m.Password.Value(), TLS: tc, Logger: log}), nil
}

// quarantined reads the matching rejected_messages entries, oldest first, with their exact
// bytes (payload_encoding base64 for payloads that were not UTF-8).
func quarantined(ctx context.Context, q *store.Querier, f ReplayFilter) ([]quarantinedMessage, error) {
	where := fmt.Sprintf("time > now() - %ds", int64(f.Since.Seconds()))
	if f.Reason != "" {
		where += " AND reason = " + store.QuoteString(f.Reason)
	}
	series, err := q.Query(ctx, "SELECT topic, payload, payload_encoding FROM "+store.MeasurementRejected+" WHERE "+where+" ORDER BY time ASC")
	if err != nil {
		return nil, err
	}
	var msgs []quarantinedMessage
	for _, s := range series {
		for _, row := range s.Values {
			if len(row) < 4 {
				continue
			}
			topic, _ := row[1].(string)
			text, _ := row[2].(string)
			payload := []byte(text)
			if enc, _ := row[3].(string); enc == store.PayloadBase64 {
				if payload, err = base64.StdEncoding.DecodeString(text); err != nil {
					return nil, fmt.Errorf("rejected_messages entry on %s: payload is not base64: %w", topic, err)
				}
			}
			msgs = append(msgs, quarantinedMessage{topic: topic, payload: payload})
		}
	}
	return msgs, nil
}

// resolveSpooled gives each entry of a spooled point (topic store.SpoolOrigin) the topic of
// its station, or drops it and says why in rep; entries of another station than station
// (when not "") are dropped silently, as the station filter would.
func resolveSpooled(msgs []quarantinedMessage, template string, tmpl *ingest.Template, station string, rep *ReplayReport) []quarantinedMessage {
	out := msgs[:0]
	for _, m := range msgs {
		if m.topic != store.SpoolOrigin {
			out = append(out, m)
			continue
		}
		topic, st, err := spooledTopic(template, tmpl, m.payload)
		switch {
		case station != "" && st != station:
		case err != nil:
			rep.NotRepublished++
			rep.Refused = append(rep.Refused, fmt.Sprintf("spooled point %.120q: %v", m.payload, err))
		default:
			m.topic = topic
			out = append(out, m)
		}
	}
	return out
}

// spooledTopic returns the topic a spooled point of line protocol is republished on: the
// topic template filled with its station tag and, as the kind, its measurement. Only points
// of a kind's measurement (air, wastewater) qualify: quantrac's line protocol decoder reads
// them back as they were, while a <kind>_flagged, violations or aqi point is no station
// message.
func spooledTopic(template string, tmpl *ingest.Template, line []byte) (topic, station string, err error) {
	measurement, station := lineSeries(string(line))
	switch {
	case station == "":
		return "", "", errors.New("no station tag: its station's topic cannot be derived")
	case !quantrac.Kind(measurement).Valid():
		return "", station, fmt.Errorf("measurement %q is not a station kind (air, wastewater): only readings stored as sent can be republished as a station message", measurement)
	}
	topic = strings.NewReplacer("{station}", station, "{kind}", measurement).Replace(template)
	if id, kind, ok := tmpl.Match(topic); !ok || id != station || kind != "" && kind != measurement || strings.ContainsAny(topic, "+#") {
		return "", station, fmt.Errorf("station %q makes no topic of the template %q", station, template)
	}
	return topic, station, nil
}

// lineSeries returns the measurement and the station tag of a line of line protocol.
func lineSeries(line string) (measurement, station string) {
	measurement, i := lpToken(line, 0, ", ")
	for i < len(line) && line[i] == ',' {
		var key, value string
		key, i = lpToken(line, i+1, "=, ")
		value, i = lpToken(line, i+1, ", ")
		if key == "station" {
			station = value
		}
	}
	return measurement, station
}

// lpToken reads line protocol from line[i:] up to an unescaped byte of stops, removing the
// backslash escapes; it returns the text and the index of the stop.
func lpToken(line string, i int, stops string) (string, int) {
	var b strings.Builder
	for ; i < len(line) && strings.IndexByte(stops, line[i]) < 0; i++ {
		if line[i] == '\\' && i+1 < len(line) {
			i++
		}
		b.WriteByte(line[i])
	}
	return b.String(), i
}
