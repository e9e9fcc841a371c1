package report

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
)

// State is the rules engine's live state (rules.Engine): the current year's exceedance counts.
type State interface {
	Stations() []rules.StationStatus
}

// Builder builds reports.
type Builder struct {
	Archive  *archive.Archive
	Catalog  *rules.Catalog
	Registry func() *quantrac.Registry
	State    State // nil: no year-to-date counts (quantrac report)
	QC       QC    // nil: no approvals and no span list
}

// Build returns the report of month m for one station, or every station when station is "".
// now bounds a month in progress at its last complete hour.
func (b *Builder) Build(ctx context.Context, m Month, station string, now time.Time) (*Report, error) {
	reg := b.Registry()
	stations := reg.Stations()
	if station != "" {
		st := reg.Station(station)
		if st == nil {
			return nil, fmt.Errorf("%w %q", ErrUnknownStation, station)
		}
		stations = []*quantrac.Station{st}
	}
	r := &Report{Month: m.String(), GeneratedAt: now.UTC(), DataLayer: DataLayer, Definitions: definitions(),
		Provinces: []Province{}, Stations: []Station{}}
	engine := b.engineState()
	approvals, approvalsQuery, err := b.approvalsByStation(ctx, m, station)
	if err != nil {
		return nil, err
	}
	for _, st := range stations {
		from, to := m.Bounds(st.TimeLocation())
		if !from.Before(now) {
			return nil, fmt.Errorf("%s: %w", m, ErrMonthNotStarted)
		}
		if last := lastHourEnd(now, st.TimeLocation()); last.Before(to) {
			to, r.Provisional = last, true
		}
		s, err := b.station(ctx, st, from, to)
		if err != nil {
			return nil, fmt.Errorf("station %s: %w", st.ID, err)
		}
		if err := b.addQuality(ctx, &s, approvals[st.ID]); err != nil {
			return nil, fmt.Errorf("station %s: %w", st.ID, err)
		}
		if approvalsQuery != "" {
			s.Queries = append(s.Queries, approvalsQuery)
		}
		if MonthOf(now, st.TimeLocation()) == m {
			addYearToDate(&s, engine[st.ID])
		}
		r.Stations = append(r.Stations, s)
	}
	r.Provinces = provinces(r.Stations)
	return r, nil
}

func (b *Builder) engineState() map[string]rules.StationStatus {
	out := map[string]rules.StationStatus{}
	if b.State == nil {
		return out
	}
	for _, s := range b.State.Stations() {
		out[s.Station] = s
	}
	return out
}

func (b *Builder) station(ctx context.Context, st *quantrac.Station, from, to time.Time) (Station, error) {
	s := Station{ID: st.ID, Name: st.Name, Kind: st.Kind, Province: st.Tags["province"], Timezone: st.TimeLocation().String(),
		From: from, To: to, ReadingsPerHour: archive.PerHour(st), Parameters: []Capture{}, Limits: []Exceedance{},
		Violations: []quantrac.Transition{}, Maintenance: maintenance(st, from, to)}
	series, err := b.Archive.Hours(ctx, st, nil, from, to)
	if err != nil {
		return s, err
	}
	valid, flagged := archive.HoursQueries(st, nil, from, to)
	s.Queries = append(s.Queries, valid, flagged)
	for _, ser := range series {
		s.Parameters = append(s.Parameters, capture(ser, st.TimeLocation(), from, to))
		if hasFlagged(ser.Hours) {
			s.Queries = append(s.Queries, archive.ExcludedQuery(st, ser.Param, from, to))
		}
	}
	filter := archive.ViolationFilter{Station: st.ID, From: from, To: to}
	if s.Violations, err = b.Archive.Violations(ctx, filter); err != nil {
		return s, err
	}
	fillForce(b.Catalog, st, s.Violations)
	inForce, err := b.Archive.InForceAt(ctx, st.ID, from)
	if err != nil {
		return s, err
	}
	s.Queries = append(s.Queries, archive.ViolationsQuery(filter), archive.LastBeforeQuery(st.ID, from))
	s.Limits = exceedances(StationLimits(b.Catalog, st), s.Violations, inForce, to)
	s.Verdict = verdict(&s, "")
	return s, nil
}

func hasFlagged(hs []archive.Hour) bool {
	return slices.ContainsFunc(hs, func(h archive.Hour) bool { return h.Flagged+h.Excluded > 0 })
}

// capture counts the valid hours and days of one parameter.
func capture(ser archive.Series, loc *time.Location, from, to time.Time) Capture {
	c := Capture{Parameter: ser.Param}
	if p, ok := param.Lookup(ser.Param); ok {
		c.Unit = p.Unit
	}
	type day struct{ expected, valid int }
	days := map[time.Time]*day{}
	for i := range ser.Hours {
		h := &ser.Hours[i]
		c.Hours++
		c.ReadingsExpected += h.Expected
		c.ReadingsValid += h.Valid
		c.ReadingsExcluded += h.Excluded
		c.ReadingsFlagged += h.Flagged
		c.addInvalid(h)
		l := h.End.Add(-time.Nanosecond).In(loc)
		key := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
		d := days[key]
		if d == nil {
			d = &day{}
			days[key] = d
		}
		switch {
		case h.IsExcluded():
			c.ExcludedHours++
		case h.IsValid():
			c.ValidHours++
			d.expected++
			d.valid++
		default:
			d.expected++
		}
	}
	c.ExpectedHours = c.Hours - c.ExcludedHours
	for start, d := range days {
		if end := start.AddDate(0, 0, 1); start.Before(from) || end.After(to) {
			continue // a day not complete in the range (a month in progress)
		}
		c.Days++
		switch {
		case d.expected < ValidDayHours:
			c.ExcludedDays++
		case d.valid >= ValidDayHours:
			c.ValidDays++
		}
	}
	c.ExpectedDays = c.Days - c.ExcludedDays
	c.HourCapture = percent(c.ValidHours, c.ExpectedHours)
	c.DayCapture = percent(c.ValidDays, c.ExpectedDays)
	return c
}

// exceedances summarises each limit over the month.
func exceedances(limits []Limit, ts []quantrac.Transition, inForce []string, to time.Time) []Exceedance {
	out := make([]Exceedance, 0, len(limits))
	for i := range limits {
		l := &limits[i]
		e := Exceedance{Regulation: l.Regulation, Force: l.Force, Parameter: l.Parameter, Period: l.Period, Unit: l.Unit,
			InForceAtStart: slices.Contains(inForce, l.Key())}
		if v := l.At(to.Add(-time.Nanosecond)); v != nil {
			e.Min, e.Max, e.Allowed = v.Min, v.Max, v.Allowed
		}
		for _, t := range ts {
			if t.State == quantrac.ViolationStarted && archive.LimitKey(t.Parameter, t.Regulation, t.Period) == l.Key() {
				e.Started++
			}
		}
		out = append(out, e)
	}
	return append(out, unlisted(out, ts, inForce)...)
}

// unlisted returns rows for the limits the violations name but the station's limits do not
// (a limit evaluated on another basis, or removed from the registry since): no violation in
// InfluxDB goes uncounted.
func unlisted(listed []Exceedance, ts []quantrac.Transition, inForce []string) []Exceedance {
	var out []Exceedance
	known := func(key string) bool {
		return slices.ContainsFunc(listed, func(e Exceedance) bool { return archive.LimitKey(e.Parameter, e.Regulation, e.Period) == key }) ||
			slices.ContainsFunc(out, func(e Exceedance) bool { return archive.LimitKey(e.Parameter, e.Regulation, e.Period) == key })
	}
	for _, t := range ts {
		if key := archive.LimitKey(t.Parameter, t.Regulation, t.Period); !known(key) {
			limit := t.Limit
			out = append(out, Exceedance{Regulation: t.Regulation, Force: t.Force, Parameter: t.Parameter, Period: t.Period, Max: &limit})
		}
	}
	for i := range out {
		e := &out[i]
		for _, t := range ts {
			if t.State == quantrac.ViolationStarted && archive.LimitKey(t.Parameter, t.Regulation, t.Period) == archive.LimitKey(e.Parameter, e.Regulation, e.Period) {
				e.Started++
			}
		}
		e.InForceAtStart = slices.Contains(inForce, archive.LimitKey(e.Parameter, e.Regulation, e.Period))
	}
	return out
}

// verdict judges the station over its binding limits of one regulation ("" for all of them):
// reference limits enter neither the exceedances nor the data a verdict needs.
func verdict(s *Station, regulation string) string {
	limited := map[string]bool{}
	for _, e := range s.Limits {
		if !e.Binding() || (regulation != "" && e.Regulation != regulation) {
			continue
		}
		if e.Started > 0 || e.InForceAtStart {
			return VerdictNotMet
		}
		limited[e.Parameter] = true
	}
	seen := 0
	for _, c := range s.Parameters {
		if !limited[c.Parameter] {
			continue
		}
		seen++
		if c.HourCapture < CaptureThreshold {
			return VerdictInsufficient
		}
	}
	if seen == 0 {
		return VerdictInsufficient
	}
	return VerdictMet
}

// addYearToDate adds the engine's counts of this year's exceedances to limits that allow some.
func addYearToDate(s *Station, st rules.StationStatus) {
	for i := range s.Limits {
		e := &s.Limits[i]
		for _, ls := range st.Limits {
			if ls.Parameter == e.Parameter && ls.Regulation == e.Regulation && ls.Period == e.Period && ls.Allowed > 0 {
				n := ls.Exceedances
				e.YearToDate = &n
			}
		}
	}
}

// maintenance returns the station's maintenance windows that overlap (from, to].
func maintenance(st *quantrac.Station, from, to time.Time) []Maintenance {
	out := []Maintenance{}
	for _, m := range st.Maintenance {
		if m.Until.After(from) && !m.From.After(to) {
			out = append(out, Maintenance{From: m.From, Until: m.Until, Reason: m.Reason})
		}
	}
	return out
}

// lastHourEnd returns the end of the last complete clock hour at now.
func lastHourEnd(now time.Time, loc *time.Location) time.Time {
	end := archive.HourEnd(now, loc)
	if end.After(now) {
		end = end.Add(-time.Hour)
	}
	return end
}
