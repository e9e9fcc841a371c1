package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
)

// QCChangeMargin is how far before its previous poll a poller of SpansChangedSince should
// ask from: a span is stamped created_at (or revoked_at) by the clock of the instance that
// writes it, before the write reaches InfluxDB, so a poll that asked only from its previous
// poll would miss a write in flight then, or one from an instance whose clock is behind.
// Spans seen twice are the same span (same id); the newer copy is the one to keep.
const QCChangeMargin = time.Minute

// SpansChangedSince returns every span created or revoked after t (both by the writer's
// clock), sorted by From. It is meant to be polled every few seconds, so it reads as little
// of qc_spans as it can, in three steps:
//
//  1. spans created after t: the point's time is created_at, so InfluxDB's time index finds
//     them without reading older points;
//  2. spans revoked after t: a revocation is written onto the span's old point, which no
//     time range finds. InfluxQL compares string fields only for (in)equality, so the
//     query asks for revoked_at and revoked_by alone: InfluxDB stores each field apart,
//     and only revoked points have these two, so it reads the revoked spans and no other
//     (a field condition on SELECT * would read every field of every point, about
//     100,000 a year of automatic spans, every poll). revoked_at > t is decided here;
//  3. the whole points of the spans step 2 found: one query per series (station,
//     parameter, source) over the range of their times, usually none at all.
func (s *QC) SpansChangedSince(ctx context.Context, t time.Time) (quantrac.QCSpans, error) {
	found := map[string]quantrac.QCSpan{}
	since := t
	if since.Before(time.Unix(0, 0)) {
		since = time.Unix(0, 0) // the zero time has no Unix nanoseconds: all spans
	}
	created := fmt.Sprintf("SELECT * FROM %s WHERE time > %d GROUP BY *", quoteIdent(MeasurementQCSpans), since.UnixNano())
	if err := s.eachRow(ctx, created, func(r row) error {
		sp := spanOf(r)
		found[sp.ID] = sp
		return nil
	}); err != nil {
		return nil, err
	}
	revoked, err := s.revokedSince(ctx, t)
	if err != nil {
		return nil, err
	}
	for key, times := range revoked {
		if err := s.spansAt(ctx, key, times, found); err != nil {
			return nil, err
		}
	}
	out := make(quantrac.QCSpans, 0, len(found))
	for _, sp := range found {
		out = append(out, sp)
	}
	return out.Sorted(), nil
}

// seriesKey is a qc_spans series: its three tags.
type seriesKey struct{ station, parameter, source string }

// revokedSince returns the point times of the spans revoked after t, by series (step 2 of
// SpansChangedSince).
func (s *QC) revokedSince(ctx context.Context, t time.Time) (map[seriesKey][]time.Time, error) {
	q := fmt.Sprintf(`SELECT "revoked_at", "revoked_by" FROM %s WHERE "revoked_at" != '' GROUP BY *`, quoteIdent(MeasurementQCSpans))
	out := map[seriesKey][]time.Time{}
	err := s.eachRow(ctx, q, func(r row) error {
		if parseTime(r.cols["revoked_at"]).After(t) {
			key := seriesKey{r.str("station"), r.str("parameter"), r.str("source")}
			out[key] = append(out[key], r.time)
		}
		return nil
	})
	return out, err
}

// spansAt adds to found the spans of series key whose points are at times (step 3 of
// SpansChangedSince).
func (s *QC) spansAt(ctx context.Context, key seriesKey, times []time.Time, found map[string]quantrac.QCSpan) error {
	first := slices.MinFunc(times, time.Time.Compare)
	last := slices.MaxFunc(times, time.Time.Compare)
	q := fmt.Sprintf(`SELECT * FROM %s WHERE "station" = %s AND "parameter" = %s AND "source" = %s AND time >= %d AND time <= %d GROUP BY *`,
		quoteIdent(MeasurementQCSpans), QuoteString(key.station), QuoteString(key.parameter), QuoteString(key.source),
		first.UnixNano(), last.UnixNano())
	at := make(map[int64]bool, len(times))
	for _, t := range times {
		at[t.UnixNano()] = true
	}
	return s.eachRow(ctx, q, func(r row) error {
		if at[r.time.UnixNano()] {
			sp := spanOf(r)
			found[sp.ID] = sp
		}
		return nil
	})
}
