package qcview

import (
	"encoding/json"
	"testing"

	"github.com/quantrac/quantrac"
)

// FuzzParseSpan: any row of qc_spans parses without panicking, and a row taken as a span has
// an id, a station, a parameter, a known action and From ≤ To.
func FuzzParseSpan(f *testing.F) {
	f.Add("1772323200000000000", "A", "no2", "x1", "2026-03-01T00:30:00Z", "2026-03-01T01:00:00Z", "invalidate", "", "2026-03-04T00:00:00Z")
	f.Add("0", "A", "*", "x2", "2026-03-01T01:00:00Z", "2026-03-01T00:00:00Z", "validate", "2026-03-05T00:00:00Z", "")
	f.Add("x", "", "", "", "not a time", "", "erase", "bad", "bad")
	cols := []string{"time", "station", "parameter", "id", "from", "to", "action", "revoked_at", "created_at"}
	f.Fuzz(func(t *testing.T, ts, station, param, id, from, to, action, revoked, created string) {
		row := []any{json.Number(ts), station, param, id, from, to, action, revoked, created}
		s, ok := parseSpan(cols, row)
		if !ok {
			return
		}
		if s.ID == "" || s.Station == "" || s.Parameter == "" || s.To.Before(s.From) ||
			(s.Action != quantrac.QCInvalidate && s.Action != quantrac.QCValidate) {
			t.Errorf("parsed %+v from %v", s, row)
		}
	})
}
