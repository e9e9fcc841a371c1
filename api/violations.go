package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/report"
)

// ViolationQuery selects violations: the active ones from the rules engine, or the
// transitions recorded in InfluxDB between From and To.
type ViolationQuery struct {
	Station  string
	Active   bool
	From, To time.Time
}

// DefaultViolationSpan is how far back recorded violations go when from is not given.
const DefaultViolationSpan = 30 * 24 * time.Hour

// ParseViolationQuery validates station (a registered id), active (true, false, 1, 0; default
// true when neither from nor to is given), from and to (RFC 3339; default the last 30 days).
func (a *API) ParseViolationQuery(v url.Values) (ViolationQuery, error) {
	q := ViolationQuery{Station: v.Get("station"), Active: v.Get("from") == "" && v.Get("to") == ""}
	if q.Station != "" {
		if _, err := a.station(q.Station); err != nil {
			return q, err
		}
	}
	if s := v.Get("active"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, badRequest("active: " + quoteOr(s, "") + " is not true or false")
		}
		q.Active = b
	}
	q.To = a.o.Now()
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(f.key); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return q, badRequest(f.key + ": " + quoteOr(s, "") + " is not an RFC 3339 time")
			}
			*f.t = t
		}
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-DefaultViolationSpan)
	}
	if !q.From.Before(q.To) {
		return q, badRequest("from must be before to")
	}
	return q, nil
}

// ViolationsDoc is the document of /api/v1/violations.
type ViolationsDoc struct {
	Active     bool                  `json:"active"`
	From       time.Time             `json:"from,omitzero"`
	To         time.Time             `json:"to,omitzero"`
	Violations []quantrac.Transition `json:"violations"`
	Query      string                `json:"query,omitempty"`
}

// Violations returns the violations q selects.
func (a *API) Violations(ctx context.Context, q ViolationQuery) (*ViolationsDoc, error) {
	d := &ViolationsDoc{Active: q.Active, Violations: []quantrac.Transition{}}
	if q.Active {
		for _, t := range a.active() {
			if q.Station == "" || t.Station == q.Station {
				d.Violations = append(d.Violations, t)
			}
		}
		return d, nil
	}
	d.From, d.To = q.From, q.To
	f := archive.ViolationFilter{Station: q.Station, From: q.From, To: q.To}
	list, err := a.o.Archive.Violations(ctx, f)
	if err != nil {
		return nil, err
	}
	slices.Reverse(list) // newest first
	d.Violations = append(d.Violations, a.withForce(list)...)
	d.Query = archive.ViolationsQuery(f)
	return d, nil
}

// Report returns the monthly report of month ("YYYY-MM") for one station or all (""), built
// at most report.BuildSlots at a time and kept while its month's data stays unchanged
// (report.Cache); the caller must not change it. A request beyond report.QueuedBuilds
// waiting ones gets 503 with Retry-After.
func (a *API) Report(ctx context.Context, month, station string) (*report.Report, error) {
	m, err := report.ParseMonth(month)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	if station != "" {
		if _, err := a.station(station); err != nil {
			return nil, err
		}
	}
	r, err := a.reports.Report(ctx, m, station, a.o.Now())
	switch {
	case errors.Is(err, report.ErrUnknownStation):
		return nil, notFound(err.Error())
	case errors.Is(err, report.ErrMonthNotStarted):
		return nil, badRequest(err.Error())
	case errors.Is(err, report.ErrBusy):
		return nil, &Error{Status: http.StatusServiceUnavailable, Message: err.Error(), RetryAfter: report.RetryAfter}
	}
	return r, err
}
