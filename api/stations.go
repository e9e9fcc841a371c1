package api

import (
	"context"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/rules"
)

// Station states on the map, from the rules engine's state.
const (
	StateViolation    = "violation"         // a binding limit is breached
	StateSilent       = "silent"            // no valid reading within 3 intervals
	StateInsufficient = "insufficient_data" // a binding limit cannot be judged: data capture too low
	StateReference    = "above_reference"   // only reference levels are passed (WHO, another country's standard)
	StateOK           = "ok"
)

// Station is a station with its live state.
type Station struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Kind            quantrac.Kind     `json:"kind"`
	Location        Location          `json:"location"`
	Tags            map[string]string `json:"tags"`
	Timezone        string            `json:"timezone"`
	IntervalSeconds float64           `json:"interval_seconds"`
	Regulations     []string          `json:"regulations"`
	State           string            `json:"state"`
	Up              bool              `json:"up"`
	LastSeen        time.Time         `json:"last_seen,omitzero"`
	LastValid       time.Time         `json:"last_valid,omitzero"`
	ActiveCount     int               `json:"active_violation_count"`
	// ActiveReference counts those of ActiveCount that pass a reference level: they are no
	// exceedance of a standard (rules/README.md, "Force and words").
	ActiveReference int                    `json:"active_reference_count"`
	Values          []rules.ParameterValue `json:"values"`
	Limits          []rules.LimitStatus    `json:"limits"`
	AQI             []archive.AQI          `json:"aqi"`
}

// Location is a position in WGS 84 degrees.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// StationDetail is one station with its limits, active violations and maintenance windows.
type StationDetail struct {
	Station
	Maintenance []report.Maintenance  `json:"maintenance"`
	LimitLines  []report.Limit        `json:"limit_definitions"`
	Active      []quantrac.Transition `json:"active_violations"`
}

// StationsDoc is the document of /api/v1/stations.
type StationsDoc struct {
	Stations []Station `json:"stations"`
}

// StationList returns every station in registry order with its state.
func (a *API) StationList(ctx context.Context) (*StationsDoc, error) {
	status := map[string]rules.StationStatus{}
	for _, s := range a.o.State.Stations() {
		status[s.Station] = s
	}
	active := map[string][]quantrac.Transition{}
	for _, t := range a.active() {
		active[t.Station] = append(active[t.Station], t)
	}
	aqi := a.latestAQI(ctx)
	doc := &StationsDoc{Stations: []Station{}}
	for _, st := range a.o.Registry().Stations() {
		doc.Stations = append(doc.Stations, newStation(st, status[st.ID], active[st.ID], aqi[st.ID]))
	}
	return doc, nil
}

// latestAQI returns the last day's hourly indices by station; InfluxDB failing leaves it empty
// (the map still shows the states).
func (a *API) latestAQI(ctx context.Context) map[string][]archive.AQI {
	out := map[string][]archive.AQI{}
	list, err := a.o.Archive.LatestAQI(ctx, a.o.Now().Add(-24*time.Hour))
	if err != nil {
		a.o.Logger.Warn("reading the latest AQI from InfluxDB", "err", err)
		return out
	}
	for _, x := range list {
		out[x.Station] = append(out[x.Station], x)
	}
	return out
}

func newStation(st *quantrac.Station, ss rules.StationStatus, active []quantrac.Transition, aqi []archive.AQI) Station {
	s := Station{ID: st.ID, Name: st.Name, Kind: st.Kind, Location: Location{st.Location.Lat, st.Location.Lon},
		Tags: st.Tags, Timezone: st.TimeLocation().String(), Regulations: st.Regulations,
		Up: ss.Up, LastSeen: ss.LastSeen, LastValid: ss.LastValid, ActiveCount: len(active),
		Values: ss.Values, Limits: ss.Limits, AQI: aqi}
	for _, t := range active {
		if !binding(t.Force) {
			s.ActiveReference++
		}
	}
	if s.Tags == nil {
		s.Tags = map[string]string{}
	}
	if s.Regulations == nil {
		s.Regulations = []string{}
	}
	if s.Values == nil {
		s.Values = []rules.ParameterValue{}
	}
	if s.Limits == nil {
		s.Limits = []rules.LimitStatus{}
	}
	if s.AQI == nil {
		s.AQI = []archive.AQI{}
	}
	iv := st.Interval
	if iv <= 0 {
		iv = quantrac.DefaultInterval
	}
	s.IntervalSeconds = iv.Seconds()
	s.State = stationState(&s)
	return s
}

// ActiveBinding counts the exceedances in progress of binding limits.
func (s *Station) ActiveBinding() int { return s.ActiveCount - s.ActiveReference }

// stationState is the map state: a binding limit's violation first, then silent, then
// insufficient data for a binding limit, then a reference level passed. Reference limits
// never make a station "violation" (rules/README.md, "Force and words").
func stationState(s *Station) string {
	insufficient, reference := false, s.ActiveReference > 0
	for _, l := range s.Limits {
		if !binding(l.Force) {
			reference = reference || l.Violating
			continue
		}
		if l.Violating {
			return StateViolation
		}
		insufficient = insufficient || l.State == rules.StateInsufficient || l.State == rules.StateUnknown
	}
	switch {
	case s.ActiveBinding() > 0:
		return StateViolation
	case !s.Up:
		return StateSilent
	case insufficient:
		return StateInsufficient
	case reference:
		return StateReference
	}
	return StateOK
}

// StationDetail returns one station's document.
func (a *API) StationDetail(ctx context.Context, id string) (*StationDetail, error) {
	st, err := a.station(id)
	if err != nil {
		return nil, err
	}
	var ss rules.StationStatus
	for _, s := range a.o.State.Stations() {
		if s.Station == id {
			ss = s
		}
	}
	d := &StationDetail{Active: []quantrac.Transition{}, Maintenance: []report.Maintenance{}}
	for _, t := range a.active() {
		if t.Station == id {
			d.Active = append(d.Active, t)
		}
	}
	d.Station = newStation(st, ss, d.Active, a.latestAQI(ctx)[id])
	for _, m := range st.Maintenance {
		d.Maintenance = append(d.Maintenance, report.Maintenance{From: m.From, Until: m.Until, Reason: m.Reason})
	}
	d.LimitLines = report.StationLimits(a.o.Catalog, st)
	if d.LimitLines == nil {
		d.LimitLines = []report.Limit{}
	}
	return d, nil
}
