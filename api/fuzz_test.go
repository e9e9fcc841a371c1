package api

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

// The query parsers take any input without panicking; what they refuse is a 400 or a 404
// with a message, and what they accept is a valid span.
func FuzzParseQueries(f *testing.F) {
	for _, s := range []string{"parameter=pm25&period=7d", "parameter=PM2.5&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z",
		"active=false&from=2026-11-01T00:00:00%2B07:00", "station=NOPE", "period=%00", "to=9999-12-31T23:59:59Z&from=0001-01-01T00:00:00Z"} {
		f.Add(s)
	}
	reg, err := quantrac.ParseRegistry([]byte(registryYAML), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		f.Fatal(err)
	}
	a := New(Options{Registry: func() *quantrac.Registry { return reg }, Now: func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }})
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		check := func(err error) {
			var e *Error
			if err != nil && (!errors.As(err, &e) || (e.Status != 400 && e.Status != 404) || e.Message == "") {
				t.Errorf("%q: error %v is not a 400 or 404 with a message", raw, err)
			}
		}
		q, err := a.ParseSeriesQuery("LC-AQ-01", v)
		check(err)
		if err == nil && (!q.From.Before(q.To) || q.To.Sub(q.From) > MaxSpan) {
			t.Errorf("%q: accepted span %v … %v", raw, q.From, q.To)
		}
		vq, err := a.ParseViolationQuery(v)
		check(err)
		if err == nil && !vq.From.Before(vq.To) {
			t.Errorf("%q: accepted span %v … %v", raw, vq.From, vq.To)
		}
	})
}
