package rules

import "time"

// StationStatus is a station's current state for /api/v1/stations.
type StationStatus struct {
	Station   string           `json:"station"`
	Up        bool             `json:"up"`
	Rebuilt   bool             `json:"rebuilt"`             // false while the station's state is unknown (being rebuilt)
	LastSeen  time.Time        `json:"last_seen,omitzero"`  // newest reading of any status
	LastValid time.Time        `json:"last_valid,omitzero"` // newest valid reading: the station's clock
	Values    []ParameterValue `json:"values"`              // newest valid value per parameter
	Limits    []LimitStatus    `json:"limits"`              // every rule of the station
}

// ParameterValue is the newest valid value of a parameter.
type ParameterValue struct {
	Parameter string    `json:"parameter"`
	Value     float64   `json:"value"`
	Unit      string    `json:"unit"`
	Time      time.Time `json:"time"`
}

// LimitStatus is the state of one limit at one station: the verdict of its latest closed
// period (the one the alert is about) and the period in progress.
type LimitStatus struct {
	Parameter  string `json:"parameter"`
	Regulation string `json:"regulation"`
	Period     string `json:"period"`
	// Force is ForceBinding when the limit binds the station (its compliance, "exceedance of
	// the standard"), ForceReference when it is a guideline or another country's standard.
	Force     string `json:"force"`
	Statistic string `json:"statistic"` // sample, mean, max, min, range, max_daily_8h, daily_max_1h
	// State is StateOK, StateExceeded, StateInsufficient, StateNoLimit, StateNoData, or
	// StateUnknown while the station is being rebuilt.
	State       string    `json:"state"`
	Violating   bool      `json:"violating"`
	Value       float64   `json:"value"` // at Reference, in Unit
	Limit       float64   `json:"limit"`
	Unit        string    `json:"unit"`
	Reference   string    `json:"reference,omitempty"` // gases: the regulation's reference conditions
	Ratio       float64   `json:"ratio"`
	Coverage    float64   `json:"coverage"`
	Count       int       `json:"count"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	Version     string    `json:"version,omitempty"`
	// Provisional is the period in progress as it stands (nil when it has no data, and for
	// sample limits, whose every reading is a closed period).
	Provisional *PeriodStatus `json:"provisional,omitempty"`
	// For counted limits (an allowance of hours or days a year): the form, this calendar
	// year's exceedances and allowance, and with a multi-year form both averaged over Years.
	Form          string  `json:"form,omitempty"`
	Exceedances   int     `json:"exceedances,omitempty"`
	Allowed       int     `json:"allowed,omitempty"`
	Exceedances3y float64 `json:"exceedances_3y,omitempty"`
	Allowed3y     float64 `json:"allowed_3y,omitempty"`
	Years         int     `json:"years,omitempty"`
}

// PeriodStatus is the evaluation of a period in progress, as it stands.
type PeriodStatus struct {
	State       string    `json:"state"`
	Value       float64   `json:"value"`
	Ratio       float64   `json:"ratio"`
	Coverage    float64   `json:"coverage"` // so far: of the period's elapsed part for a year
	Count       int       `json:"count"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
}

// Stations returns the current state of every station, in registry order.
func (e *Engine) Stations() []StationStatus {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]StationStatus, 0, len(e.order))
	for _, s := range e.order {
		s.mu.Lock()
		out = append(out, s.status(now))
		s.mu.Unlock()
	}
	return out
}

// status is the station's StationStatus; the station is locked.
func (s *stationState) status(now time.Time) StationStatus {
	ss := StationStatus{Station: s.st.ID, Rebuilt: s.known, LastSeen: unixTime(s.lastAny),
		LastValid: unixTime(s.valid), Values: []ParameterValue{}, Limits: []LimitStatus{}}
	ss.Up = s.known && s.up(now)
	for _, ser := range s.order {
		if ser.lastT > 0 {
			ss.Values = append(ss.Values, ParameterValue{ser.param, ser.last, ser.unit(), unixTime(ser.lastT)})
		}
		for i := range ser.rules {
			ss.Limits = append(ss.Limits, s.limitStatus(ser, &ser.rules[i]))
		}
	}
	return ss
}

func (s *stationState) limitStatus(ser *series, rs *ruleState) LimitStatus {
	r := rs.rule
	ls := LimitStatus{Parameter: ser.param, Regulation: r.reg.ID, Period: r.period, Force: r.forceFor(s.st), Statistic: r.statistic(),
		Unit: r.valueUnit(ser), Reference: referenceText(r), State: StateUnknown}
	if !s.known {
		return ls
	}
	v := s.latestVerdict(ser, rs)
	ls.State, ls.Violating = v.state.String(), rs.alert == violating
	ls.Value, ls.Limit, ls.Ratio, ls.Coverage, ls.Count = v.value, v.limit, v.ratio, v.coverage, v.count
	if v.state != vNoData { // a period without data has nothing to show
		ls.WindowStart, ls.WindowEnd = unixTime(v.start), unixTime(v.end)
	}
	if v.version != nil {
		ls.Version = versionString(r.reg.ID, v.version, s.st)
	}
	if p, ok := s.provisional(ser, rs); ok {
		ls.Provisional = &PeriodStatus{State: p.state.String(), Value: p.value, Ratio: p.ratio, Coverage: p.coverage,
			Count: p.count, WindowStart: unixTime(p.start), WindowEnd: unixTime(p.end)}
	}
	if v.version != nil && r.design != nil {
		ls.Form = v.version.Form(false)
	}
	if r.counted {
		if f, l := s.currentForm(ser, rs); f != nil {
			ls.Form = l.Form(r.reg.AnnualOfDays)
			ls.Exceedances, ls.Allowed = f.exceedances, f.allowed
			if r.years > 1 {
				ls.Exceedances3y, ls.Allowed3y, ls.Years = f.mean, f.allowedMean, f.years
			}
		}
	}
	return ls
}

// currentForm returns a counted rule's figures for the calendar year in progress at the
// station's clock, under the version in force at the clock (or the newest version).
func (s *stationState) currentForm(ser *series, rs *ruleState) (*formFigures, *Limit) {
	if s.clock == 0 {
		return nil, nil
	}
	l := rs.rule.versions[len(rs.rule.versions)-1]
	if i := rs.rule.versionAt(s.clock); i >= 0 {
		l = rs.rule.versions[i]
	}
	return s.figures(ser, rs, s.openYear(), l), l
}

// cachedForm returns currentForm's figures, computed once per change of the station's
// closed periods (a scrape asks for them in four metric families).
func (s *stationState) cachedForm(ser *series, rs *ruleState) *formFigures {
	c := rs.yr
	if c.formStamp != s.stamp || c.form == nil {
		c.form, _ = s.currentForm(ser, rs)
		c.formStamp = s.stamp
	}
	return c.form
}

func unixTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
