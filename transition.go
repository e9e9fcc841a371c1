package quantrac

import "time"

// Transition kinds: the state field of InfluxDB measurement violations (DESIGN §6).
const (
	ViolationStarted = "started"
	ViolationEnded   = "ended"
)

// Transition is the start or the end of a violation with its evidence. The rules produce it,
// the store writes it to InfluxDB measurement violations at WindowEnd (DESIGN §6), and the
// API and console show it.
type Transition struct {
	Station     string    `json:"station"`
	Parameter   string    `json:"parameter"`
	Regulation  string    `json:"regulation"`
	Period      string    `json:"period"`
	State       string    `json:"state"`        // ViolationStarted or ViolationEnded
	Value       float64   `json:"value"`        // the period's statistic, canonical unit
	Limit       float64   `json:"limit"`        // the limit in force, station coefficients applied
	Ratio       float64   `json:"ratio"`        // Value ÷ Limit (ranges: see rules/README.md)
	Coverage    float64   `json:"coverage"`     // data capture of the period, 0–1
	Count       int       `json:"count"`        // valid readings (or hours) in the period
	WindowStart time.Time `json:"window_start"` // the period's start
	WindowEnd   time.Time `json:"window_end"`   // the period's end
	Version     string    `json:"version"`      // e.g. "QCVN-05:2023 from 2026-01-01"
}
