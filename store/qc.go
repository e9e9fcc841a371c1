package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Measurement names of the data-quality layer (docs/data-quality.md).
const (
	MeasurementQCSpans   = "qc_spans"
	MeasurementApprovals = "approvals"
)

// Errors of QC's lookups and changes; the returned errors wrap them.
var (
	// ErrNotFound: no span or approval has the id.
	ErrNotFound = errors.New("not found")
	// ErrRevoked: the span was already revoked, or the approval already withdrawn; the first
	// revocation stays as it was written.
	ErrRevoked = errors.New("already revoked")
)

// QC keeps QC spans (measurement qc_spans) and approvals (measurement approvals) in InfluxDB.
// Nothing is ever deleted: a span is revoked, an approval withdrawn, by writing who and when
// onto its own point, which is identified by its tags and its time, the created_at instant.
// Writes go to InfluxDB at once (not through the Sink): the caller learns whether the change
// is stored.
type QC struct {
	q *Querier
	w LineWriter
	// mu makes a revocation's read and write one step within this process, so that two
	// revocations of one span do not both succeed.
	mu sync.Mutex
}

// NewQC returns a QC reading with q and writing with w; it does no I/O.
func NewQC(q *Querier, w LineWriter) *QC { return &QC{q: q, w: w} }

// NewID returns an unguessable, URL-safe id: 16 random bytes in lowercase hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics if the system cannot give randomness)
	return hex.EncodeToString(b[:])
}

// timeLayout is RFC 3339 in UTC with exactly nine fractional digits: every time field of
// qc_spans and approvals has the same length, so that its text orders as its time.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime writes t as a time field of qc_spans and approvals.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads a time field; an empty or malformed one is the zero time.
func parseTime(v any) time.Time {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// write sends points to InfluxDB in one request.
func (s *QC) write(ctx context.Context, points []*Point) error {
	var b []byte
	for _, p := range points {
		b = AppendPoint(b, p)
	}
	return s.w.Write(ctx, b, len(points))
}

// row is one point of a query result: its tags and fields by name, and its time.
type row struct {
	cols map[string]any
	time time.Time
}

func (r row) str(key string) string {
	s, _ := r.cols[key].(string)
	return s
}

// eachRow runs influxql and calls fn for every row, tags (GROUP BY *) and fields alike.
func (s *QC) eachRow(ctx context.Context, influxql string, fn func(row) error) error {
	return s.q.QueryEach(ctx, influxql, func(sr Series) error {
		for _, values := range sr.Values {
			t, ok := rowTime(values)
			if !ok {
				continue
			}
			r := row{cols: make(map[string]any, len(sr.Columns)+len(sr.Tags)), time: t}
			for k, v := range sr.Tags {
				r.cols[k] = v
			}
			for i, c := range sr.Columns {
				if i < len(values) && values[i] != nil {
					r.cols[c] = values[i]
				}
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// byID returns the one row of measurement m whose id field is id. The id is a field, so
// InfluxDB reads the id of every point of m: both measurements are small (user spans tens a
// month, automatic ones up to about 100,000 a year), and a lookup by id is a user's action.
func (s *QC) byID(ctx context.Context, m, id string) (row, error) {
	var found *row
	q := fmt.Sprintf(`SELECT * FROM %s WHERE "id" = %s GROUP BY *`, quoteIdent(m), QuoteString(id))
	err := s.eachRow(ctx, q, func(r row) error {
		found = &r
		return nil
	})
	switch {
	case err != nil:
		return row{}, err
	case found == nil:
		return row{}, fmt.Errorf("%s %q: %w", m, id, ErrNotFound)
	}
	return *found, nil
}
