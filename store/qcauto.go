package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
)

// autoSpansMeasurement is the measurement of QC spans (README "InfluxDB schema").
const autoSpansMeasurement = "qc_spans"

// autoSpansSkew is how much earlier than the end of the readings it covers an automatic span
// can be created: readings may be stamped up to limits.max_future_skew (at most 24 h) ahead.
const autoSpansSkew = 24 * time.Hour

// ErrNoSpan is returned when revoking a span id that qc_spans does not hold.
var ErrNoSpan = errors.New("no such QC span")

// AutoQCSpans keeps the automatic checks' spans in InfluxDB measurement qc_spans: tags
// station, parameter and source, the other attributes as fields (times as RFC 3339 strings),
// at the span's created_at, so that writing a span again overwrites its point.
type AutoQCSpans struct {
	w LineWriter
	q *Querier
}

// NewAutoQCSpans returns the store of automatic spans writing through w and reading through
// q; it does no I/O.
func NewAutoQCSpans(w LineWriter, q *Querier) *AutoQCSpans { return &AutoQCSpans{w: w, q: q} }

// WriteSpan writes s at its created_at.
func (a *AutoQCSpans) WriteSpan(ctx context.Context, s quantrac.QCSpan) error {
	return a.w.Write(ctx, appendSpan(nil, &s), 1)
}

// RevokeSpan marks the span with that id revoked, by whom and when: its point is written again with
// revoked_by and revoked_at; nothing is erased.
func (a *AutoQCSpans) RevokeSpan(ctx context.Context, id, by string, at time.Time) error {
	var found *quantrac.QCSpan
	q := fmt.Sprintf(`SELECT * FROM %s WHERE "id" = %s`, quoteIdent(autoSpansMeasurement), QuoteString(id))
	err := a.query(ctx, q, func(s quantrac.QCSpan) {
		if found == nil || s.CreatedAt.Before(found.CreatedAt) {
			found = &s
		}
	})
	if err != nil {
		return err
	}
	if found == nil {
		return fmt.Errorf("%w: %s", ErrNoSpan, id)
	}
	found.RevokedBy, found.RevokedAt = by, at
	return a.WriteSpan(ctx, *found)
}

// AutoSpans returns the station's automatic spans, active and revoked, that end at or after
// from and start at or before to.
func (a *AutoQCSpans) AutoSpans(ctx context.Context, station string, from, to time.Time) ([]quantrac.QCSpan, error) {
	q := fmt.Sprintf(`SELECT * FROM %s WHERE "station" = %s AND "source" = %s AND time >= %d`,
		quoteIdent(autoSpansMeasurement), QuoteString(station), QuoteString(quantrac.QCSourceAuto), from.Add(-autoSpansSkew).UnixNano())
	var out []quantrac.QCSpan
	err := a.query(ctx, q, func(s quantrac.QCSpan) {
		if !s.To.Before(from) && !s.From.After(to) {
			out = append(out, s)
		}
	})
	return out, err
}

// query runs q over qc_spans and calls fn with each span.
func (a *AutoQCSpans) query(ctx context.Context, q string, fn func(quantrac.QCSpan)) error {
	err := a.q.QueryEach(ctx, q, func(s Series) error {
		for _, row := range s.Values {
			var sp quantrac.QCSpan
			for i, c := range s.Columns {
				if i < len(row) {
					setSpanField(&sp, c, row[i])
				}
			}
			fn(sp)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading qc_spans: %w", err)
	}
	return nil
}

// setSpanField sets the attribute of s that column c of qc_spans holds.
func setSpanField(s *quantrac.QCSpan, c string, v any) {
	str, _ := v.(string)
	at := func() time.Time { t, _ := time.Parse(time.RFC3339Nano, str); return t }
	switch c {
	case "id":
		s.ID = str
	case "station":
		s.Station = str
	case "parameter":
		s.Parameter = str
	case "source":
		s.Source = str
	case "from":
		s.From = at()
	case "to":
		s.To = at()
	case "action":
		s.Action = str
	case "reason":
		s.Reason = str
	case "user":
		s.User = str
	case "created_at":
		s.CreatedAt = at()
	case "revoked_by":
		s.RevokedBy = str
	case "revoked_at":
		s.RevokedAt = at()
	}
}

// appendSpan appends s as a point of qc_spans.
func appendSpan(b []byte, s *quantrac.QCSpan) []byte {
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	p := Point{
		Measurement: autoSpansMeasurement,
		Tags:        []Tag{{"parameter", s.Parameter}, {"source", s.Source}, {"station", s.Station}},
		Fields: []Field{{"id", s.ID}, {"from", rfc(s.From)}, {"to", rfc(s.To)}, {"action", s.Action},
			{"reason", s.Reason}, {"user", s.User}, {"created_at", rfc(s.CreatedAt)}},
		Time: s.CreatedAt,
	}
	if !s.Active() {
		p.Fields = append(p.Fields, Field{"revoked_by", s.RevokedBy}, Field{"revoked_at", rfc(s.RevokedAt)})
	}
	return AppendPoint(b, &p)
}
