package api

import (
	"context"
	"math"
	"net/url"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/report"
)

// Periods of the series endpoint and the console's charts.
var periods = []struct {
	name string
	d    time.Duration
}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}

// MaxSpan bounds a series request.
const MaxSpan = 400 * 24 * time.Hour

// SeriesQuery selects the hourly means of one parameter of one station.
type SeriesQuery struct {
	Station  *quantrac.Station
	Param    string
	Period   string    // 24h, 7d or 30d: the span ending at To when From is not given
	From, To time.Time // hour ends: the hours ending in (From, To]
}

// ParseSeriesQuery validates the series endpoint's parameters: parameter (required), period
// (24h, 7d or 30d; default 24h), from and to (RFC 3339; to defaults to the last complete hour).
func (a *API) ParseSeriesQuery(id string, v url.Values) (SeriesQuery, error) {
	st, err := a.station(id)
	if err != nil {
		return SeriesQuery{}, err
	}
	q := SeriesQuery{Station: st, Period: v.Get("period")}
	p, ok := param.Lookup(v.Get("parameter"))
	if !ok {
		return q, badRequest("parameter: " + quoteOr(v.Get("parameter"), "required") + " is not a known parameter (pm25, cod, …)")
	}
	q.Param = p.ID
	if q.Period == "" {
		q.Period = "24h"
	}
	span := time.Duration(0)
	for _, p := range periods {
		if p.name == q.Period {
			span = p.d
		}
	}
	if span == 0 {
		return q, badRequest("period: " + quoteOr(q.Period, "") + " is not 24h, 7d or 30d")
	}
	loc := st.TimeLocation()
	q.To = lastHourEnd(a.o.Now(), loc)
	if s := v.Get("to"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, badRequest("to: " + quoteOr(s, "") + " is not an RFC 3339 time")
		}
		q.To = archive.HourEnd(t, loc)
	}
	q.From = q.To.Add(-span)
	if s := v.Get("from"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, badRequest("from: " + quoteOr(s, "") + " is not an RFC 3339 time")
		}
		q.From = archive.HourEnd(t, loc)
	}
	switch {
	case !q.From.Before(q.To):
		return q, badRequest("from must be before to")
	case q.To.Sub(q.From) > MaxSpan:
		return q, badRequest("from … to spans more than 400 days")
	}
	return q, nil
}

func quoteOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return `"` + s + `"`
}

func lastHourEnd(now time.Time, loc *time.Location) time.Time {
	end := archive.HourEnd(now, loc)
	if end.After(now) {
		end = end.Add(-time.Hour)
	}
	return end
}

// HourPoint is one clock hour of a series.
type HourPoint struct {
	Time     time.Time `json:"time"` // the hour's end
	Mean     *float64  `json:"mean"` // null without a valid reading
	Readings int       `json:"valid_readings"`
	Expected int       `json:"expected_readings"`
	Excluded int       `json:"excluded_readings"`
	Invalid  int       `json:"invalid_readings"` // stored, but invalid by a data-quality span: missing
	// InvalidByUser is how many of Invalid an inspector's span made invalid; the others an
	// automatic check's.
	InvalidByUser int  `json:"invalid_by_user"`
	Flagged       int  `json:"flagged_readings"`
	Valid         bool `json:"valid"`
}

// SeriesDoc is the document of /api/v1/stations/{id}/series.
type SeriesDoc struct {
	Station   string         `json:"station"`
	Parameter string         `json:"parameter"`
	Unit      string         `json:"unit"`
	Period    string         `json:"period"`
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	Hours     []HourPoint    `json:"hours"`
	Limits    []report.Limit `json:"limits"`
	Queries   []string       `json:"queries"`
}

// Series returns the hourly means of the query's parameter and the station's limits on it.
func (a *API) Series(ctx context.Context, q SeriesQuery) (*SeriesDoc, error) {
	series, err := a.o.Archive.Hours(ctx, q.Station, []string{q.Param}, q.From, q.To)
	if err != nil {
		return nil, err
	}
	p, _ := param.Lookup(q.Param)
	valid, flagged := archive.HoursQueries(q.Station, []string{q.Param}, q.From, q.To)
	d := &SeriesDoc{Station: q.Station.ID, Parameter: q.Param, Unit: p.Unit, Period: q.Period, From: q.From, To: q.To,
		Hours: []HourPoint{}, Limits: []report.Limit{}, Queries: []string{valid, flagged, archive.ExcludedQuery(q.Station, q.Param, q.From, q.To)}}
	for _, s := range series {
		for _, h := range s.Hours {
			hp := HourPoint{Time: h.End, Readings: h.Valid, Expected: h.Expected, Excluded: h.Excluded, Invalid: h.Invalid, InvalidByUser: h.InvalidByUser, Flagged: h.Flagged, Valid: h.IsValid()}
			if !math.IsNaN(h.Mean) {
				m := h.Mean
				hp.Mean = &m
			}
			d.Hours = append(d.Hours, hp)
		}
	}
	for _, l := range report.StationLimits(a.o.Catalog, q.Station) {
		if l.Parameter == q.Param {
			d.Limits = append(d.Limits, l)
		}
	}
	return d, nil
}

// Hours returns the hours ending in (from, to] of every parameter of st with data (package
// archive), for the console's charts.
func (a *API) Hours(ctx context.Context, st *quantrac.Station, from, to time.Time) ([]archive.Series, error) {
	return a.o.Archive.Hours(ctx, st, nil, from, to)
}
