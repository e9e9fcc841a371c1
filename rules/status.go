package rules

import "time"

// StationStatus is a station's current state for /api/v1/stations.
type StationStatus struct {
	Station   string           `json:"station"`
	Up        bool             `json:"up"`
	LastSeen  time.Time        `json:"last_seen,omitzero"`  // newest reading of any status
	LastValid time.Time        `json:"last_valid,omitzero"` // newest valid reading
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

// LimitStatus is the current evaluation of one limit at one station.
type LimitStatus struct {
	Parameter   string    `json:"parameter"`
	Regulation  string    `json:"regulation"`
	Period      string    `json:"period"`
	State       string    `json:"state"` // StateOK, StateExceeded, StateInsufficient, StateNoLimit, StateNoData
	Violating   bool      `json:"violating"`
	Value       float64   `json:"value"`
	Limit       float64   `json:"limit"`
	Ratio       float64   `json:"ratio"`
	Coverage    float64   `json:"coverage"`
	Count       int       `json:"count"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	// Exceedances counts this calendar year's exceeding hours or days where the limit allows
	// Allowed of them; both are 0 otherwise.
	Exceedances int `json:"exceedances,omitempty"`
	Allowed     int `json:"allowed,omitempty"`
}

// Stations returns the current state of every station, in registry order.
func (e *Engine) Stations() []StationStatus {
	now := e.now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]StationStatus, 0, len(e.order))
	for _, s := range e.order {
		s.mu.Lock()
		ss := StationStatus{Station: s.st.ID, LastSeen: unixTime(s.lastAny), LastValid: unixTime(s.lastValid),
			Values: []ParameterValue{}, Limits: []LimitStatus{}}
		ss.Up = s.up(now)
		year := now.In(s.cal.loc).Year()
		for _, ser := range s.order {
			if ser.lastT > 0 {
				ss.Values = append(ss.Values, ParameterValue{ser.param, ser.last, ser.unit, unixTime(ser.lastT)})
			}
			for i := range ser.rules {
				r := &ser.rules[i]
				v := r.evaluate(ser, s.interval)
				if !ser.seen {
					v = verdict{}
				}
				if v.state == "" {
					v.state = StateNoData
				}
				ss.Limits = append(ss.Limits, LimitStatus{Parameter: ser.param, Regulation: r.rule.regulation,
					Period: r.rule.period, State: v.state, Violating: r.alert == violating, Value: v.value,
					Limit: v.limit, Ratio: v.ratio, Coverage: v.coverage, Count: v.count,
					WindowStart: unixTime(v.start), WindowEnd: unixTime(v.end)})
				if r.exc != nil {
					ls := &ss.Limits[len(ss.Limits)-1]
					ls.Exceedances, ls.Allowed = r.exc.count(year), r.allowed(now)
				}
			}
		}
		s.mu.Unlock()
		out = append(out, ss)
	}
	return out
}

func unixTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
