package rules

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/quantrac/quantrac/param"
)

// US NAAQS design values (40 CFR part 50; rules/README.md, "US NAAQS design values"). A
// standard is met when its design value — an annual statistic of each calendar year, averaged
// over the years of the form, rounded or truncated as its appendix says — is at or below the
// level: PM2.5 24-h the 98th percentile of daily means (Appendix N), NO2 1-h and SO2 1-h the
// 98th and 99th percentile of daily maximum 1-h means (Appendices S and T), O3 the 4th-highest
// daily maximum 8-h mean of the periods starting 07:00–23:00 (Appendix U), CO the
// second-highest non-overlapping 8-h mean and the second-highest 1-h mean (§ 50.8).
//
// A rule keeps, per calendar year, the highest values its statistic can reach and its valid
// days per quarter (dvYear): a few hundred bytes a year, for the three years a design value
// averages and the year in progress. Days enter when their hours leave the hour ring (fold),
// or are read from the ring while it holds them; a rebuild replays the years from InfluxDB.

// DesignValue is how a US NAAQS limit's design value is formed.
type DesignValue struct {
	Round, Truncate float64 // the step the design value is rounded (half up) or truncated to, in Unit
	Unit            string  // the unit the level is written in (ppb, ppm, µg/m³)
	Level           float64 // the level as written
	// StartHours are the first and last local hour at which the 8-h periods of a day's
	// maximum start (Appendix U: 7 and 23); zero: the periods that end in the day.
	StartHours [2]int
	// NonOverlapping ranks the year's 8-h means, each not overlapping a higher one ranked
	// before it (CO), instead of its days.
	NonOverlapping bool
	// DayRound is set for an expected-exceedance form (PM10, Appendix K): a day exceeds when
	// its value rounded to DayRound is above DayLevel (the limit as written), and Level is
	// the exceedances a year allows; the design value is the expected exceedances per year.
	DayRound, DayLevel float64
}

func (lf *limitFile) design() (*DesignValue, error) {
	f := lf.DesignValue
	if f == nil {
		return nil, nil
	}
	d := &DesignValue{Round: f.Round, Truncate: f.Truncate, Unit: lf.Unit, NonOverlapping: f.NonOverlapping}
	switch {
	case lf.Max == nil || lf.Min != nil || lf.Range != nil:
		return nil, errors.New("a design value needs a max (and no min or range)")
	case (f.Round > 0) == (f.Truncate > 0) || f.Round < 0 || f.Truncate < 0:
		return nil, errors.New("give one of round and truncate, positive")
	case lf.Percentile == 0 && lf.NthHighest == 0 && lf.AllowedExceedances == 0:
		return nil, errors.New("a design value needs percentile, nth_highest or allowed_exceedances_per_year")
	case f.ExpectedExceedances < 0 || f.ExpectedExceedances > 0 && (lf.AllowedExceedances == 0 || len(f.StartHours) > 0 || f.NonOverlapping):
		return nil, errors.New("expected_exceedances needs allowed_exceedances_per_year, and no start_hours or non_overlapping")
	case len(f.StartHours) != 0 && (len(f.StartHours) != 2 || f.StartHours[0] < 0 || f.StartHours[1] <= f.StartHours[0] || f.StartHours[1] > 23):
		return nil, errors.New("start_hours must be [first, last] local hours, 0 ≤ first < last ≤ 23")
	case len(f.StartHours) == 2 && f.NonOverlapping:
		return nil, errors.New("give start_hours or non_overlapping, not both")
	}
	d.Level = *lf.Max
	if f.ExpectedExceedances > 0 {
		d.DayRound, d.DayLevel, d.Level = f.ExpectedExceedances, *lf.Max, float64(lf.AllowedExceedances)
	}
	if len(f.StartHours) == 2 {
		d.StartHours = [2]int{f.StartHours[0], f.StartHours[1]}
	}
	return d, nil
}

// checkDesign checks that a design value fits its limit's period and statistic.
func (l *Limit) checkDesign() error {
	d := l.Design
	switch {
	case d == nil:
		return nil
	case (d.StartHours[1] > 0 || d.NonOverlapping) && l.Statistic != MaxDaily8h:
		return errors.New("design_value start_hours and non_overlapping need statistic max_daily_8h")
	case l.Percentile > 0 && d.NonOverlapping:
		return errors.New("a percentile ranks days, not non-overlapping 8-h means")
	case l.kind == perHour && l.Statistic == Mean && l.Percentile > 0:
		return errors.New("a 1-h design value ranks hours: use nth_highest")
	case l.kind != perDay && l.kind != perHour && l.Statistic != MaxDaily8h:
		return errors.New("a design value needs period 24h, 1h or statistic max_daily_8h")
	}
	return nil
}

// steps returns design value x in the level's unit as a whole number of rounding steps.
func (d *DesignValue) steps(x float64) float64 {
	if d.Truncate > 0 {
		return math.Floor(x/d.Truncate + 1e-9)
	}
	return math.Floor(x/d.Round + 0.5 + 1e-9)
}

// ratio returns the rounded (or truncated) design value x ÷ the level: above 1 it exceeds.
func (d *DesignValue) ratio(x float64) float64 {
	step := d.Round + d.Truncate
	return d.steps(x) / math.Round(d.Level/step)
}

// dvTop is how many of a year's highest values a rule keeps: the 98th percentile of at most
// 366 days is the 8th highest (Appendix N, Table 1), and the second-highest non-overlapping
// 8-h mean is among the 16 highest (at most 15 8-h means overlap the highest).
const dvTop = 16

// dvYears is the calendar years a rule keeps: those a design value averages, and the year in
// progress.
const dvYears = maxYears + 1

// dvState is a design-value rule's calendar years.
type dvState struct{ years [dvYears]dvYear }

// dvYear is one calendar year: its highest values, descending, and its valid days per quarter.
type dvYear struct {
	top  [dvTop]dvValue
	n    int32 // values in top
	year int32
	days [4]int16
	exc  int16 // expected-exceedance forms: days above the level
}

// dvValue is a day's value (at: the day), or a 1-h or 8-h mean (at: the hour it ends with),
// in the parameter's canonical unit.
type dvValue struct {
	v  float64
	at int64
}

func (y *dvYear) add(v float64, at int64) {
	i := int(y.n)
	if i == dvTop {
		if v <= y.top[dvTop-1].v {
			return
		}
		i--
	} else {
		y.n++
	}
	for ; i > 0 && y.top[i-1].v < v; i-- {
		y.top[i] = y.top[i-1]
	}
	y.top[i] = dvValue{v, at}
}

func (y *dvYear) valid() int {
	return int(y.days[0]) + int(y.days[1]) + int(y.days[2]) + int(y.days[3])
}

// get returns year y (empty when not kept).
func (ds *dvState) get(y int) dvYear {
	for _, a := range ds.years {
		if int(a.year) == y {
			return a
		}
	}
	return dvYear{year: int32(y)}
}

// at returns year y's entry, taking the oldest entry's place when y is new.
func (ds *dvState) at(y int) *dvYear {
	old := 0
	for i := range ds.years {
		if int(ds.years[i].year) == y {
			return &ds.years[i]
		}
		if ds.years[i].year < ds.years[old].year {
			old = i
		}
	}
	ds.years[old] = dvYear{year: int32(y)}
	return &ds.years[old]
}

// dvLag is how many days after its own a day's value is final: 1 when its 8-h periods run
// into the next day (Appendix U: the period starting 23:00 ends 07:00).
func (r *rule) dvLag() int64 {
	if r.design.StartHours[1]+window8 > 24 {
		return 1
	}
	return 0
}

// dvDay adds local day d's values to yr: its daily value when valid, or for CO every valid
// 1-h mean or 8-h mean ending in it; a valid day counts in its quarter.
func (s *stationState) dvDay(ser *series, rs *ruleState, d int64, yr *dvYear) {
	first, last, _ := s.cal.dayHours(d)
	r, h := rs.rule, ser.h
	lvl := *r.versions[len(r.versions)-1].Max / r.ref // the level, canonical
	var a hoursAcc
	for id := first; id <= last; id++ {
		if s.hourOK(h, rs, id) {
			a.add(h, id)
			if r.kind == perHour && r.stat == Mean {
				yr.add(h.mean(id), id)
			}
		}
	}
	enough := a.n > 0 && float64(a.n)+1e-9 >= DefaultMinCoverage*float64(last-first+1)
	valid := enough
	switch {
	case r.design.StartHours[1] > 0:
		var best float64
		best, valid = s.dvDaily8h(h, rs, first, lvl)
		if valid {
			yr.add(best, d)
		}
	case r.design.NonOverlapping:
		for id := first; id <= last; id++ {
			if m := s.running(h, rs, id, window8); m.n >= need8 {
				yr.add(m.mean(), id)
			}
		}
	case r.kind == perHour && r.stat == Mean:
	case r.stat == DailyMax1h:
		// a day short of 18 hours counts when its maximum already exceeds the level
		if valid = enough || (a.n > 0 && a.maxMean > lvl); valid {
			yr.add(a.maxMean, d)
		}
	default:
		// a day short of 18 hours counts when its hours ÷ 24 already exceed the level
		m := a.mean()
		if !enough {
			m = round12(a.sum / float64(last-first+1))
		}
		if valid = enough || (a.n > 0 && m > lvl); valid {
			yr.add(m, d)
			yr.exc += s.dayExceeds(r, m)
		}
	}
	if valid {
		yr.days[(time.Unix(d*86400, 0).UTC().Month()-1)/3]++
	}
}

// dayExceeds returns 1 when a day's value v exceeds the level of an expected-exceedance form:
// Appendix K's exceedance is a daily value above the level after rounding to the nearest 10
// µg/m³ (155 rounds up to 160).
func (s *stationState) dayExceeds(r *rule, v float64) int16 {
	d := r.design
	if d.DayRound == 0 {
		return 0
	}
	p, _ := param.Lookup(r.param)
	if math.Floor(s.written(r, p, v)/d.DayRound+0.5+1e-9)*d.DayRound > d.DayLevel {
		return 1
	}
	return 0
}

// expected returns a year's expected exceedances (Appendix K 3.1, with no day assumed below
// the level): its days above the level × its days ÷ its valid days. While the year runs
// (left > 0) it is the days above so far, the least the year can still come to.
func expected(yr *dvYear, left int) (float64, bool) {
	n := yr.valid()
	switch {
	case n == 0:
		return 0, false
	case left > 0:
		return float64(yr.exc), true
	}
	y := int(yr.year)
	days := time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24
	return round12(float64(yr.exc) * days / float64(n)), true
}

// dvDaily8h returns the daily maximum 8-h mean of Appendix U: the highest of the 8-h periods
// starting at the day's hours StartHours[0]…StartHours[1], each the mean of its valid hours
// when it has 6 of 8, else their sum ÷ 6; the day is valid with 75 % of its periods valid (13
// of 17), or when its maximum exceeds the level.
func (s *stationState) dvDaily8h(h *hourRing, rs *ruleState, first int64, lvl float64) (best float64, valid bool) {
	sh := rs.rule.design.StartHours
	best, n := math.Inf(-1), 0
	for st := first + int64(sh[0]); st <= first+int64(sh[1]); st++ {
		a := s.running(h, rs, st+window8-1, window8)
		switch {
		case a.n >= need8:
			best = math.Max(best, a.mean())
			n++
		case a.n > 0:
			best = math.Max(best, round12(a.sum/need8))
		}
	}
	if math.IsInf(best, -1) {
		return 0, false
	}
	return best, float64(n)+1e-9 >= DefaultMinCoverage*float64(sh[1]-sh[0]+1) || best > lvl
}

// dvYearOf returns year y's values: those folded, and those of the days the ring still holds
// up to day df.
func (s *stationState) dvYearOf(ser *series, rs *ruleState, y int, df int64) dvYear {
	yr := rs.yr.dv.get(y)
	if ser.h == nil || ser.h.head == 0 {
		return yr
	}
	fd, ld := s.cal.yearDays(y)
	for d := max(fd, rs.yr.folded+1, s.firstHeld(ser, rs)); d <= min(ld, df); d++ {
		s.dvDay(ser, rs, d, &yr)
	}
	return yr
}

// dvAnnual returns a year's statistic in the level's unit (truncated when the design value
// is): its n-th highest value, n from nth_highest or, for a percentile, from its valid days
// plus left, the days it has still to come (Appendix N 4.5: n − ⌊p·days/100⌋; while a year
// runs this is the rank the year can still reach, so the value only rises as days come);
// n is allowed_exceedances_per_year + 1 for "not to be exceeded more than once per year";
// values that overlap a higher one ranked before them are skipped (CO 8-h). ok is false when
// the year has fewer values.
func (s *stationState) dvAnnual(rs *ruleState, p *param.Parameter, yr *dvYear, left int) (float64, bool) {
	r := rs.rule
	l := r.versions[len(r.versions)-1]
	if r.design.DayRound > 0 {
		return expected(yr, left)
	}
	k := max(l.NthHighest, l.AllowedExceedances+1) // "not more than once per year": the second highest
	if l.Percentile > 0 {
		n := yr.valid() + left
		k = n - l.Percentile*n/100
	}
	span := int64(1)
	if r.design.NonOverlapping {
		span = window8
	}
	var taken [dvTop]int64
	m := 0
next:
	for i := range int(yr.n) {
		c := yr.top[i]
		for _, t := range taken[:m] {
			if c.at > t-span && c.at < t+span {
				continue next
			}
		}
		taken[m] = c.at
		if m++; m == k {
			return s.written(r, p, c.v), true
		}
	}
	return 0, false
}

// written converts canonical value v to the level's unit (truncated when the design value is:
// Appendix U truncates the 8-h means).
func (s *stationState) written(r *rule, p *param.Parameter, v float64) float64 {
	if p != nil {
		if w, err := p.FromCanonical(v, r.design.Unit); err == nil {
			v = w
		}
	}
	if d := r.design; d.Truncate > 0 {
		v = d.steps(v) * d.Truncate
	}
	return v
}

// dvResult is a design value over the years a form averages.
type dvResult struct {
	mean     float64 // the mean of the years' statistics, of the years that have one (level's unit)
	bound    float64 // their sum ÷ the years: a year without a statistic taken as 0, a lower bound
	have     int     // years with a statistic
	count    int     // valid days
	coverage float64 // the lowest share of valid days of a year (of its days so far)
	complete bool    // every year complete: the design value is valid whatever it says
}

// designValue computes the design value of the years ending with year ye, from the days up
// to day df (ye is in progress when df is before its end).
func (s *stationState) designValue(ser *series, rs *ruleState, p *param.Parameter, ye int, df int64) dvResult {
	k := rs.rule.years
	res := dvResult{complete: true, coverage: 1}
	var sum, share float64
	for y := ye - k + 1; y <= ye; y++ {
		fd, ld := s.cal.yearDays(y)
		yr := s.dvYearOf(ser, rs, y, df)
		left := int(max(0, ld-max(df, fd-1)))
		if st, ok := s.dvAnnual(rs, p, &yr, left); ok {
			sum += st
			res.have++
		}
		n := yr.valid()
		res.count += n
		res.coverage = min(res.coverage, float64(n)/float64(max(1, ld-fd+1-int64(left))))
		share += float64(n) / float64(ld-fd+1)
		res.complete = res.complete && left == 0 && s.yearComplete(rs, &yr, y)
	}
	res.complete = res.complete && res.have == k
	if rs.rule.design.StartHours[1] > 0 { // Appendix U: 90 % of the days on average
		res.complete = res.complete && share/float64(k)+1e-9 >= 0.9
	}
	if res.have > 0 {
		res.mean = sum / float64(res.have)
	}
	res.bound = sum / float64(k)
	return res
}

// yearComplete reports whether year y's data are complete: 75 % of its days valid (Appendix
// U), or of the days of each calendar quarter (Appendices N, S, T).
func (s *stationState) yearComplete(rs *ruleState, yr *dvYear, y int) bool {
	if rs.rule.design.StartHours[1] > 0 {
		fd, ld := s.cal.yearDays(y)
		return float64(yr.valid())+1e-9 >= DefaultMinCoverage*float64(ld-fd+1)
	}
	for q := range 4 {
		start := time.Date(y, time.Month(3*q+1), 1, 0, 0, 0, 0, time.UTC)
		days := start.AddDate(0, 3, 0).Sub(start).Hours() / 24
		if float64(yr.days[q])+1e-9 < DefaultMinCoverage*days {
			return false
		}
	}
	return true
}

// evalDesign evaluates a design-value rule as of the end of local day d: the design value of
// the latest complete calendar years, or the one with the year in progress when that one's
// lower bound already exceeds (no day left can bring it back; the appendices take a design
// value from incomplete data that still exceeds the level as valid). Open evaluates the year
// in progress as it stands, the provisional design value.
func (s *stationState) evalDesign(ser *series, rs *ruleState, d int64, open bool) verdict {
	r := rs.rule
	v := verdict{end: s.cal.dayEnd(d)}
	df := d - r.dvLag() // the newest day whose value is final at the end of d
	if open {
		df = s.latestClosedDay() - r.dvLag()
	}
	p, _ := param.Lookup(r.param)
	yc := s.cal.yearOfDay(df+1) - 1 // the newest complete year
	cur := s.designValue(ser, rs, p, yc+1, df)
	res, ye := cur, yc+1
	i := r.versionAt(v.end - 1)
	if !open {
		// the complete years, unless they hold no data or the year in progress already exceeds
		done := s.designValue(ser, rs, p, yc, df)
		if done.count > 0 && (i < 0 || r.versions[i].Design.ratio(cur.bound) <= 1 || r.versions[i].Design.ratio(done.bound) > 1) {
			res, ye = done, yc
		}
	}
	v.start = s.cal.end(s.cal.yearHoursFirst(ye-r.years+1)) - hourNs
	v.count, v.coverage = res.count, res.coverage
	switch {
	case res.count == 0:
		v.state = vNoData
		return v
	case i < 0:
		v.state = vNotInForce
		return v
	}
	l := r.versions[i]
	v.version, v.factor, v.limit = l, rs.factor, *l.Max*rs.factor
	if l.Design.DayRound > 0 {
		v.limit = l.Design.Level // exceedances a year
	}
	if res.have == 0 {
		v.state = vInsufficient
		return v
	}
	v.value, v.ratio = res.mean, l.Design.ratio(res.mean)
	if p != nil && l.Design.DayRound == 0 {
		if c, err := p.ToCanonicalAt(res.mean, l.Design.Unit, r.reg.Reference); err == nil {
			v.value = round12(c)
		}
	}
	switch {
	case l.Design.ratio(res.bound) > 1:
		v.state = vExceeded
	case v.ratio <= 1 && (res.complete || open):
		v.state = vOK
	default:
		v.state = vInsufficient
	}
	return v
}

// designForm describes a design value, as `quantrac rules` prints it: "design value: 3-year
// mean of the annual 98th percentile of 24-h means, rounded to 1 µg/m³".
func (l *Limit) designForm() string {
	d := l.Design
	var b strings.Builder
	b.WriteString("design value: ")
	if d.DayRound > 0 {
		fmt.Fprintf(&b, "%d-year mean of the expected exceedances a year (days whose 24-h mean rounded to %g %s is above %g), rounded to %g, at most %g",
			l.Years, d.DayRound, d.Unit, d.DayLevel, d.Round+d.Truncate, d.Level)
		return b.String()
	}
	if l.Years > 1 {
		b.WriteString(strconv.Itoa(l.Years) + "-year mean of the annual ")
	} else {
		b.WriteString("the calendar year's ")
	}
	switch {
	case l.Percentile > 0:
		b.WriteString(ordinal(l.Percentile) + " percentile (EPA rank table) of the")
	default:
		b.WriteString(ordinal(max(l.NthHighest, l.AllowedExceedances+1)) + "-highest")
	}
	switch {
	case d.NonOverlapping:
		b.WriteString(" non-overlapping 8-h mean")
	case d.StartHours[1] > 0:
		fmt.Fprintf(&b, " daily maximum of the 8-h means starting %02d:00-%02d:00", d.StartHours[0], d.StartHours[1])
	case l.Statistic == DailyMax1h:
		b.WriteString(" daily maximum 1-h mean")
	case l.kind == perHour:
		b.WriteString(" 1-h mean")
	default:
		b.WriteString(" 24-h mean (calendar day)")
	}
	step, how := d.Round, "rounded"
	if d.Truncate > 0 {
		step, how = d.Truncate, "truncated"
	}
	b.WriteString(", " + how + " to " + strconv.FormatFloat(step, 'g', -1, 64) + " " + d.Unit)
	return b.String()
}

// designCapture describes the data a design value needs, as `quantrac rules -v` prints it.
func (l *Limit) designCapture(hour string) string {
	day := "days valid with 18 of 24 hours"
	switch {
	case l.Design.StartHours[1] > 0:
		day = "8-h means valid with 6 of 8 hours; days valid with 75 % of their 8-h means"
	case l.Design.NonOverlapping:
		day = "8-h means valid with 6 of 8 hours; days valid with 18 of 24 hours"
	}
	year := "each calendar quarter with 75 % of its days valid"
	if l.Design.StartHours[1] > 0 {
		year = "each year with 75 % of its days valid, 90 % on average"
	}
	return hour + "; " + day + " (or above the level with fewer); " + year + " (a design value from fewer data that exceeds is valid)"
}

// valueUnit is the unit of a verdict's value and limit: the parameter's, or for an
// expected-exceedance design value (PM10) exceedances a year.
func (r *rule) valueUnit(ser *series) string {
	if r.design != nil && r.design.DayRound > 0 {
		return "exceedances/year"
	}
	return ser.unit()
}
