package api

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
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

// The bodies of POST /api/v1/qc and /api/v1/approvals decode from any bytes without
// panicking; what is refused is a 400 with a message, what is accepted a span or approval
// the store can hold (a known station and parameter, from ≤ to, an action, a one-line reason)
// with nothing the server sets taken from the body.
func FuzzWriteBodies(f *testing.F) {
	for _, s := range []string{
		`{"station": "LC-AQ-01", "parameter": "no2", "from": "2026-11-28T08:00:00+07:00", "to": "2026-11-28T14:00:00+07:00", "action": "invalidate", "reason": "analyser fault"}`,
		`{"station": "LC-AQ-01", "parameter": "*", "from": "2026-11-28T08:00:00Z", "to": "2026-11-28T08:00:00Z", "action": "validate", "reason": "checked"}`,
		`{"station": "LC-AQ-01", "month": "2026-11"}`, `{"user": "mallory"}`, `[]`, `null`, `{"reason": "\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	reg, err := quantrac.ParseRegistry([]byte(registryYAML), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		f.Fatal(err)
	}
	a := New(Options{Registry: func() *quantrac.Registry { return reg }, Now: func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }})
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(err error) {
			var e *Error
			if err != nil && (!errors.As(err, &e) || e.Status != 400 || e.Message == "") {
				t.Errorf("%q: error %v is not a 400 with a message", body, err)
			}
		}
		sp, err := a.parseSpanRequest(body)
		check(err)
		if err == nil && (reg.Station(sp.Station) == nil || sp.From.After(sp.To) || sp.Reason == "" || strings.ContainsAny(sp.Reason, "\n\r") ||
			(sp.Action != quantrac.QCInvalidate && sp.Action != quantrac.QCValidate) || sp.Source != quantrac.QCSourceUser ||
			sp.ID != "" || sp.User != "" || !sp.CreatedAt.IsZero() || !knownParameter(sp.Parameter)) {
			t.Errorf("%q: accepted span %+v", body, sp)
		}
		ap, err := a.parseApprovalRequest(body)
		check(err)
		if err == nil && (reg.Station(ap.Station) == nil || len(ap.Month) != 7 || ap.User != "" || ap.ID != "") {
			t.Errorf("%q: accepted approval %+v", body, ap)
		}
	})
}

// knownParameter reports whether id is a canonical parameter id or QCAllParameters.
func knownParameter(id string) bool {
	p, ok := param.Lookup(id)
	return id == quantrac.QCAllParameters || ok && p.ID == id
}
