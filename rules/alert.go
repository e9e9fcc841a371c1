package rules

import (
	"time"

	"github.com/quantrac/quantrac"
)

// alertState is the state of a limit's alert at one station (an explicit state machine, after
// Prometheus rules/alerting.go).
//
//	          exceeded                 ok (ratio ≤ 1 − hysteresis)
//	inactive ─────────▶ violating ─────────────────────────────────▶ resolved
//	   ▲                    ▲                                          │ │
//	   │                    └────────────── exceeded ──────────────────┘ │
//	   └──────────────────────────── ok ──────────────────────────────────┘
//
// Periods without a verdict (insufficient data, no limit in force) change nothing: a violation
// ends only when a valid period is back inside the limit (rules/README.md, "Evaluation"), and a
// station that falls silent is reported by quantrac_station_up, not by ending its violations.
type alertState uint8

const (
	inactive  alertState = iota // no violation
	violating                   // the limit is breached: quantrac_violation 1
	resolved                    // the violation ended at the last evaluation
)

func (s alertState) String() string {
	switch s {
	case violating:
		return "violating"
	case resolved:
		return "resolved"
	}
	return "inactive"
}

// Transition kinds, the state field of InfluxDB measurement violations.
const (
	Started = quantrac.ViolationStarted
	Ended   = quantrac.ViolationEnded
)

// step is the alert state machine: the next state after the verdict v of a closed period,
// and the transition to record ("" for none). hysteresis is the fraction of the limit the
// ratio must fall below 1 for a violation to end, so that a value hovering at the limit does
// not flap. For a counted limit (an allowance of hours or days a year) an exceeding period
// breaches the regulation only beyond the allowance: within it, it changes nothing.
func step(s alertState, v *verdict, hysteresis float64, counted bool) (alertState, string) {
	switch v.state {
	case vExceeded:
		if counted && (v.form == nil || !v.form.beyond) {
			return s, ""
		}
		if s == violating {
			return violating, ""
		}
		return violating, Started
	case vOK:
		switch {
		case s == violating && v.ratio <= 1-hysteresis:
			return resolved, Ended
		case s == violating:
			return violating, ""
		}
		return inactive, ""
	}
	return s, "" // no verdict
}

// endedBy is the end of the episode active started, for a reason other than data (a reload
// removed its limit or station), recorded at now (Unix ns) with the start's evidence.
func endedBy(active *Transition, reason string, now int64) Transition {
	tr := *active
	tr.State, tr.Reason = Ended, reason
	tr.WindowEnd = time.Unix(0, max(now, active.WindowEnd.UnixNano()+int64(time.Second))).UTC()
	return tr
}

// endAll appends the ends of every episode in progress at the station, for reason.
func (s *stationState) endAll(reason string, now int64, out []Transition) []Transition {
	for _, ser := range s.order {
		for i := range ser.rules {
			if r := &ser.rules[i]; r.alert == violating && r.active() != nil {
				out = append(out, endedBy(r.active(), reason, now))
			}
		}
	}
	return out
}
