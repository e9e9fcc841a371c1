package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
)

// SpanFilter selects QC spans: those of Station ("": every station) that overlap From … To
// (a zero bound leaves that side open).
type SpanFilter struct {
	Station  string
	From, To time.Time
}

// overlaps reports whether span sp has a reading instant within the filter's bounds.
func (f SpanFilter) overlaps(sp *quantrac.QCSpan) bool {
	return (f.From.IsZero() || !sp.To.Before(f.From)) && (f.To.IsZero() || !sp.From.After(f.To))
}

// AddSpans stores new spans in one write and returns them as stored. A span without an ID
// gets one (NewID); CreatedAt must be set (the caller's clock, not InfluxDB's). Two spans of
// one series (station, parameter, source) created at the same instant would be one point, so
// the later of them in spans is moved on by a nanosecond.
func (s *QC) AddSpans(ctx context.Context, spans ...quantrac.QCSpan) ([]quantrac.QCSpan, error) {
	out := make([]quantrac.QCSpan, len(spans))
	points := make([]*Point, len(spans))
	taken := map[string]bool{}
	for i, sp := range spans {
		if err := checkSpan(&sp); err != nil {
			return nil, err
		}
		if sp.ID == "" {
			sp.ID = NewID()
		}
		sp.CreatedAt = sp.CreatedAt.UTC()
		for key := spanKey(&sp); taken[key]; key = spanKey(&sp) {
			sp.CreatedAt = sp.CreatedAt.Add(time.Nanosecond)
		}
		taken[spanKey(&sp)] = true
		out[i], points[i] = sp, spanPoint(&sp)
	}
	if err := s.write(ctx, points); err != nil {
		return nil, err
	}
	return out, nil
}

// spanKey identifies a span's point: its series and its time.
func spanKey(sp *quantrac.QCSpan) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d", sp.Station, sp.Parameter, sp.Source, sp.CreatedAt.UnixNano())
}

// checkSpan refuses a span that the schema cannot hold or that says nothing.
func checkSpan(sp *quantrac.QCSpan) error {
	switch {
	case sp.Station == "" || sp.Parameter == "":
		return errors.New("qc span: station and parameter are required")
	case sp.Source != quantrac.QCSourceAuto && sp.Source != quantrac.QCSourceUser:
		return fmt.Errorf("qc span: source %q is not %s or %s", sp.Source, quantrac.QCSourceAuto, quantrac.QCSourceUser)
	case sp.Action != quantrac.QCInvalidate && sp.Action != quantrac.QCValidate:
		return fmt.Errorf("qc span: action %q is not %s or %s", sp.Action, quantrac.QCInvalidate, quantrac.QCValidate)
	case sp.From.IsZero() || sp.To.IsZero() || sp.From.After(sp.To):
		return fmt.Errorf("qc span: from %v … to %v is not a time range", sp.From, sp.To)
	case sp.User == "" || sp.CreatedAt.IsZero():
		return errors.New("qc span: user and created_at are required")
	}
	return nil
}

// spanPoint is the qc_spans point of sp.
func spanPoint(sp *quantrac.QCSpan) *Point {
	p := &Point{Measurement: MeasurementQCSpans, Tags: spanTags(sp), Time: sp.CreatedAt, Fields: []Field{
		{"id", sp.ID}, {"from", formatTime(sp.From)}, {"to", formatTime(sp.To)}, {"action", sp.Action},
		{"reason", sp.Reason}, {"user", sp.User}, {"created_at", formatTime(sp.CreatedAt)},
	}}
	if !sp.Active() {
		p.Fields = append(p.Fields, revokedFields(sp.RevokedBy, sp.RevokedAt)...)
	}
	return p
}

// spanTags are the tags of a span's point, in key order.
func spanTags(sp *quantrac.QCSpan) []Tag {
	return []Tag{{"parameter", sp.Parameter}, {"source", sp.Source}, {"station", sp.Station}}
}

func revokedFields(by string, at time.Time) []Field {
	return []Field{{"revoked_by", by}, {"revoked_at", formatTime(at)}}
}

// Span returns the span with the given id; the error wraps ErrNotFound when there is none.
func (s *QC) Span(ctx context.Context, id string) (quantrac.QCSpan, error) {
	r, err := s.byID(ctx, MeasurementQCSpans, id)
	if err != nil {
		return quantrac.QCSpan{}, err
	}
	return spanOf(r), nil
}

// RevokeSpan revokes the span with the given id: revoked_by and revoked_at are written onto
// its point (same series, same time), which keeps every other field. It returns the revoked
// span; the error wraps ErrNotFound for an unknown id and ErrRevoked for a span already
// revoked, whose first revocation stays.
func (s *QC) RevokeSpan(ctx context.Context, id, by string, at time.Time) (quantrac.QCSpan, error) {
	if by == "" || at.IsZero() {
		return quantrac.QCSpan{}, errors.New("qc span: revoking needs who and when")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.Span(ctx, id)
	if err != nil {
		return sp, err
	}
	if !sp.Active() {
		return sp, fmt.Errorf("qc span %s: %w by %s at %s", id, ErrRevoked, sp.RevokedBy, formatTime(sp.RevokedAt))
	}
	p := &Point{Measurement: MeasurementQCSpans, Tags: spanTags(&sp), Fields: revokedFields(by, at), Time: sp.CreatedAt}
	if err := s.write(ctx, []*Point{p}); err != nil {
		return sp, err
	}
	sp.RevokedBy, sp.RevokedAt = by, at.UTC()
	return sp, nil
}

// Spans returns the spans f selects, active and revoked, sorted by From (QCSpans.Sorted).
// from and to are fields that InfluxQL cannot compare as times, so the station's spans are
// read (one query) and the overlap is decided here.
func (s *QC) Spans(ctx context.Context, f SpanFilter) (quantrac.QCSpans, error) {
	var out quantrac.QCSpans
	err := s.eachRow(ctx, SpansQuery(f), func(r row) error {
		if sp := spanOf(r); f.overlaps(&sp) {
			out = append(out, sp)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Sorted(), nil
}

// SpansQuery returns the InfluxQL statement Spans runs: the spans of f's station (or of
// every station), whose overlap with f's bounds Spans then decides.
func SpansQuery(f SpanFilter) string {
	q := "SELECT * FROM " + quoteIdent(MeasurementQCSpans)
	if f.Station != "" {
		q += ` WHERE "station" = ` + QuoteString(f.Station)
	}
	return q + " GROUP BY *"
}

// spanOf reads a span from a qc_spans row.
func spanOf(r row) quantrac.QCSpan {
	return quantrac.QCSpan{
		ID: r.str("id"), Station: r.str("station"), Parameter: r.str("parameter"), Source: r.str("source"),
		From: parseTime(r.cols["from"]), To: parseTime(r.cols["to"]), Action: r.str("action"),
		Reason: r.str("reason"), User: r.str("user"), CreatedAt: r.time.UTC(),
		RevokedBy: r.str("revoked_by"), RevokedAt: parseTime(r.cols["revoked_at"]),
	}
}
