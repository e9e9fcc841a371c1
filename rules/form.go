package rules

import (
	"strconv"
	"strings"
	"time"
)

// Allowance returns the hours or days a calendar year may exceed a counted limit's level:
// AllowedExceedances, NthHighest − 1, or for a percentile form the allowance EPA's rank table
// implies for the year's valid days (40 CFR 50 Appendix N Table 1 and Appendix S for the 98th
// percentile: 7 at 301–350 days, 8 at 351–366 … minus one; Appendix T for the 99th), i.e. the
// number of days above the value of descending rank n − ⌊p·n/100⌋.
func (l *Limit) Allowance(validDays int) int {
	switch {
	case l.Percentile > 0:
		if validDays <= 0 {
			return 0
		}
		return validDays - l.Percentile*validDays/100 - 1
	case l.NthHighest > 0:
		return l.NthHighest - 1
	}
	return l.AllowedExceedances
}

// unitWord names what a counted limit counts, n of them.
func (l *Limit) unitWord(n int) string {
	w := "day"
	if l.kind == perHour && l.Statistic != DailyMax1h {
		w = "hour"
	}
	if n != 1 {
		w += "s"
	}
	return w
}

// Form describes how the regulation reduces readings to the value compared with the limit, as
// `quantrac rules` prints it: "24-h mean (calendar day of hourly means); 35 days/year",
// "daily max 1-h mean; 98th percentile of the year's days, 3-year average".
func (l *Limit) Form(annualOfDays bool) string {
	if l.Design != nil {
		return l.designForm()
	}
	var b strings.Builder
	b.WriteString(l.statisticText(annualOfDays))
	switch {
	case l.Percentile > 0:
		b.WriteString("; " + ordinal(l.Percentile) + " percentile of the year's days (EPA rank table)")
	case l.NthHighest > 0:
		b.WriteString("; " + ordinal(l.NthHighest) + "-highest day of the year")
	case l.AllowedExceedances > 0:
		b.WriteString("; " + strconv.Itoa(l.AllowedExceedances) + " " + l.unitWord(l.AllowedExceedances) + "/year allowed")
	}
	if l.Years > 1 {
		b.WriteString(", " + strconv.Itoa(l.Years) + "-year average")
	}
	return b.String()
}

func (l *Limit) statisticText(annualOfDays bool) string {
	switch l.Statistic {
	case MaxDaily8h:
		return "max daily 8-h running mean"
	case DailyMax1h:
		return "daily max 1-h mean"
	}
	stat := string(l.Statistic)
	switch l.kind {
	case perSample:
		if l.Min != nil && l.Max != nil {
			return "every sample inside the range"
		}
		return "every sample"
	case perBlock:
		return l.Period + " clock-block " + stat
	case perHour:
		return "1-h " + stat
	case perRunning:
		return "running " + l.Period + " " + stat + " of hourly means"
	case perDay:
		if l.Statistic == Mean {
			return "24-h mean (calendar day of hourly means)"
		}
		return "24-h " + stat + " (calendar day)"
	case perYear:
		if annualOfDays {
			return "calendar-year mean of daily means"
		}
		return "calendar-year mean of hourly means"
	}
	return stat
}

func ordinal(n int) string {
	s := strconv.Itoa(n)
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return s + "th"
	case n%10 == 1:
		return s + "st"
	case n%10 == 2:
		return s + "nd"
	case n%10 == 3:
		return s + "rd"
	}
	return s + "th"
}

// Capture describes the data capture a verdict needs, as `quantrac rules -v` prints it.
func (l *Limit) Capture(reg *Regulation) string {
	pct := func(f float64) string { return strconv.FormatFloat(100*f, 'f', -1, 64) + " %" }
	hour := "hours valid with " + pct(reg.HourCoverage) + " of the station's expected readings (1 h ÷ interval)"
	of24 := strconv.Itoa(int(l.MinCoverage*24 + 0.5))
	switch {
	case l.Design != nil:
		return l.designCapture(hour)
	case l.kind == perSample:
		return "every valid reading is judged (no minimum)"
	case l.kind == perBlock:
		return "the block with " + pct(l.MinCoverage) + " of its expected readings"
	case l.kind == perHour && l.Statistic != DailyMax1h:
		return "the hour with " + pct(l.MinCoverage) + " of the station's expected readings (1 h ÷ interval)"
	case l.Statistic == MaxDaily8h:
		return hour + "; each 8-h mean with 6 of 8 hours; the day with " + pct(l.MinCoverage) + " of its 8-h means (" + of24 + " of 24)"
	case l.kind == perRunning:
		n := int(l.Duration / time.Hour)
		return hour + "; the " + l.Period + " mean with " + pct(l.MinCoverage) + " of its " + strconv.Itoa(n) + " hours"
	case l.kind == perYear && reg.AnnualOfDays:
		return hour + "; days valid with 18 of 24 hours; the year with " + pct(l.MinCoverage) + " of its days"
	case l.kind == perYear:
		return hour + "; the year with " + pct(l.MinCoverage) + " of its hours"
	}
	return hour + "; the day with " + pct(l.MinCoverage) + " of its hours (" + of24 + " of 24)"
}
