package quantrac

import "time"

// Transition kinds: the state field of InfluxDB measurement violations (README.md, "InfluxDB
// schema").
const (
	ViolationStarted = "started"
	ViolationEnded   = "ended"
	// ViolationWithdrawn overwrites a point that re-judged data no longer support (a late
	// reading changed the period it stood on): every reader ignores it.
	ViolationWithdrawn = "withdrawn"
)

// Transition is the start or the end of a violation with its evidence: enough to recompute the
// verdict from the stored readings with the regulation's own definition. The rules produce it,
// the store writes it to InfluxDB measurement violations at WindowEnd (README.md, "InfluxDB
// schema"), and the API and console show it.
type Transition struct {
	Station    string `json:"station"`
	Parameter  string `json:"parameter"`
	Regulation string `json:"regulation"`
	Period     string `json:"period"` // sample, 1h, 8h, 24h, 1y, …
	// Force is "binding" when the limit binds the station, "reference" when it is a guideline
	// or another country's standard (rules.ForceBinding, rules.ForceReference).
	Force string `json:"force,omitempty"`
	State string `json:"state"` // ViolationStarted, ViolationEnded or ViolationWithdrawn
	// Episode identifies the exceedance episode a start and its end belong to: the end of the
	// period that started it (RFC 3339, UTC), unique per station and limit.
	Episode     string    `json:"episode"`
	Value       float64   `json:"value"`        // the period's statistic, in Unit at Reference
	Limit       float64   `json:"limit"`        // the limit in force, station coefficients applied
	Ratio       float64   `json:"ratio"`        // Value ÷ Limit (ranges: see rules/README.md)
	Coverage    float64   `json:"coverage"`     // data capture of the period, 0–1
	Count       int       `json:"count"`        // readings (sample, 1h) or valid hours, 8-h means, days
	WindowStart time.Time `json:"window_start"` // the period's start
	WindowEnd   time.Time `json:"window_end"`   // the period's end
	Version     string    `json:"version"`      // e.g. "QCVN-05:2023 from 2026-01-01"
	Unit        string    `json:"unit"`         // the unit of Value and Limit (canonical)
	// Statistic is how the period's readings were reduced: sample (a reading), mean, max,
	// min, range, max_daily_8h, daily_max_1h.
	Statistic string `json:"statistic"`
	// Reference is the regulation's reference conditions for gases ("20 °C, 1 atm"), at which
	// Value is stated; empty for parameters that do not depend on them.
	Reference string `json:"reference,omitempty"`
	// Form describes a counted limit's exceedance form ("35 days/year allowed", "98th
	// percentile …, 3-year average"); empty for limits without one, whose figures below are 0.
	Form               string `json:"form,omitempty"`
	Exceedances        int    `json:"exceedances"`         // exceeding hours or days of the period's year
	ExceedancesAllowed int    `json:"exceedances_allowed"` // what that year allows
	// Exceedances3y and ExceedancesAllowed3y are the same averaged over Years calendar years
	// (EU ozone, US NAAQS forms); 0 when the form is not averaged.
	Exceedances3y        float64 `json:"exceedances_3y"`
	ExceedancesAllowed3y float64 `json:"exceedances_allowed_3y"`
	Years                int     `json:"years"`
	// Reason says why an episode ended other than by data: EndLimitRemoved, EndStationRemoved.
	Reason string `json:"reason,omitempty"`
}

// Reasons an episode ends other than by a period back inside the limit.
const (
	EndLimitRemoved   = "limit_removed"
	EndStationRemoved = "station_removed"
)
