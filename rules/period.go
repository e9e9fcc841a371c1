package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// periodKind is how a period is built from readings (rules/README.md, "Evaluation").
type periodKind uint8

const (
	perSample  periodKind = iota + 1 // every valid reading, compared as it arrives
	perBlock                         // a sub-hour clock block (10m: 00:00–00:10, …), labelled by its end
	perHour                          // one clock hour, labelled by its end
	perRunning                       // the running mean of N hourly means (2 ≤ N ≤ 23), labelled at its last hour
	perDay                           // the local calendar day: hours ending 01:00 … 24:00
	perYear                          // the local calendar year
)

// Year is the nominal length of the "1y" period (a calendar year, 365 or 366 days).
const Year = 365 * 24 * time.Hour

// Sample is the period label of limits compared with every reading.
const Sample = "sample"

// ParsePeriod parses a limit period as written in rule files and used verbatim as the period
// label: "sample", "1h", "24h", "1y", "Nh" for a running mean of N hourly means (2 ≤ N ≤ 23,
// e.g. 8h), or "Nm" for a sub-hour clock block (N dividing 60, e.g. 10m, 15m). It returns the
// period's nominal length (0 for sample).
func ParsePeriod(s string) (time.Duration, error) {
	_, d, err := parsePeriod(s)
	return d, err
}

func parsePeriod(s string) (periodKind, time.Duration, error) {
	bad := fmt.Errorf("period %q: want sample, 1h, 24h, 1y, Nh (2-23: running mean of N hourly means) or Nm (N dividing 60: clock blocks)", s)
	switch s {
	case Sample:
		return perSample, 0, nil
	case "1y":
		return perYear, Year, nil
	case "1h":
		return perHour, time.Hour, nil
	case "24h":
		return perDay, 24 * time.Hour, nil
	}
	for _, u := range []struct {
		suffix string
		kind   periodKind
		unit   time.Duration
		ok     func(int) bool
	}{
		{"h", perRunning, time.Hour, func(n int) bool { return n >= 2 && n <= 23 }},
		{"m", perBlock, time.Minute, func(n int) bool { return n >= 1 && n < 60 && 60%n == 0 }},
	} {
		if num, found := strings.CutSuffix(s, u.suffix); found {
			n, err := strconv.Atoi(num)
			if err != nil || !u.ok(n) || strconv.Itoa(n) != num {
				return 0, 0, bad
			}
			return u.kind, time.Duration(n) * u.unit, nil
		}
	}
	return 0, 0, bad
}

// Statistic is how a period's values are reduced to the value compared with a limit.
type Statistic string

// The statistics. Mean is the default: of the readings for 1h and sub-hour blocks, of the
// valid hourly means for longer periods. Max, Min and Range take the extremes of the period's
// readings (Range: both must lie inside a range limit). MaxDaily8h is the day's highest running
// 8-h mean, each assigned to the day it ends in (EU/WHO/US ozone, EU CO); DailyMax1h the day's
// highest hourly mean (US NO2 and SO2).
const (
	Mean       Statistic = "mean"
	Max        Statistic = "max"
	Min        Statistic = "min"
	Range      Statistic = "range"
	MaxDaily8h Statistic = "max_daily_8h"
	DailyMax1h Statistic = "daily_max_1h"
)

func parseStatistic(s string) (Statistic, error) {
	switch st := Statistic(s); st {
	case "":
		return Mean, nil
	case Mean, Max, Min, Range, MaxDaily8h, DailyMax1h:
		return st, nil
	}
	return "", fmt.Errorf("statistic %q: want mean, max, min, range, max_daily_8h or daily_max_1h", s)
}

// extremes reports whether the statistic needs the readings' minimum and maximum.
func (s Statistic) extremes() bool { return s == Max || s == Min || s == Range }
