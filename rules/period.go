package rules

import (
	"fmt"
	"time"
)

// Year is the length of the "1y" period: a rolling 365-day window (DESIGN §7).
const Year = 365 * 24 * time.Hour

// Period bounds. Periods up to a day are kept per station interval; "1y" is kept in daily
// buckets. Nothing between a day and a year is supported: no catalog limit needs it.
const (
	minPeriod = time.Minute
	maxShort  = 24 * time.Hour
)

// ParsePeriod parses a limit period as written in rule files and used verbatim as the period
// label: "1y", or a Go duration from 1m to 24h ("10m", "1h", "3h", "8h", "24h").
func ParsePeriod(s string) (time.Duration, error) {
	if s == "1y" {
		return Year, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("period %q: want 1y or a duration such as 1h, 8h, 24h", s)
	}
	if d < minPeriod || d > maxShort {
		return 0, fmt.Errorf("period %q: want 1y or a duration from 1m to 24h", s)
	}
	return d, nil
}

// Statistic is how a window's valid readings are reduced to the value compared with a limit.
type Statistic string

// The statistics. Mean is the default. Range is the pair (minimum, maximum) of the window,
// compared with a range limit: both must lie inside it (pH "5.5–9" on every reading).
const (
	Mean  Statistic = "mean"
	Max   Statistic = "max"
	Min   Statistic = "min"
	Range Statistic = "range"
)

func parseStatistic(s string) (Statistic, error) {
	switch st := Statistic(s); st {
	case "":
		return Mean, nil
	case Mean, Max, Min, Range:
		return st, nil
	}
	return "", fmt.Errorf("statistic %q: want mean, max, min or range", s)
}
