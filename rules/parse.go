package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/yamlpos"
	"github.com/quantrac/quantrac/param"
)

// DefaultMinCoverage is the data capture a window needs for a verdict unless a limit states
// its own: 75 %, the EU aggregation rule (2008/50/EC Annex VII/XI: 18 of 24 hours, 45 of 60
// minutes); no Vietnamese rule was found (research §6.3), so it is an assumption there.
const DefaultMinCoverage = 0.75

// DefaultHourCoverage is the share of a station's expected readings (1 h ÷ its interval) an
// hour needs to be valid unless a regulation states hour_coverage: 75 % (9 of 12 five-minute
// readings), the EU rule for 1-hour values (2008/50/EC Annex VII: 45 of 60 minutes); no
// Vietnamese rule was found, so it is an assumption there.
const DefaultHourCoverage = 0.75

// regulationFile is the YAML form of a regulation file (rules/README.md).
type regulationFile struct {
	ID       string `yaml:"id"`
	Title    string `yaml:"title"`
	Country  string `yaml:"country"`
	Force    string `yaml:"force"` // binding | guideline (default)
	Kind     string `yaml:"kind"`
	Timezone string `yaml:"timezone"`
	Status   string `yaml:"status"`
	Note     string `yaml:"note"`
	Source   Source `yaml:"source"`
	// Reference states the conditions of gas concentrations: {temperature: 25C | 20C | 0C}.
	Reference    referenceFile `yaml:"reference"`
	HourCoverage *float64      `yaml:"hour_coverage"`
	AnnualMeanOf string        `yaml:"annual_mean_of"` // days | hours (default)
	Limits       []limitFile   `yaml:"limits"`
}

type referenceFile struct {
	Temperature string `yaml:"temperature"`
}

type limitFile struct {
	Parameter          string      `yaml:"parameter"`
	Period             string      `yaml:"period"`
	Statistic          string      `yaml:"statistic"`
	Max                *float64    `yaml:"max"`
	Min                *float64    `yaml:"min"`
	Range              []float64   `yaml:"range"`
	Unit               string      `yaml:"unit"`
	From               string      `yaml:"from"`
	Until              string      `yaml:"until"`
	MinCoverage        *float64    `yaml:"min_coverage"`
	AllowedExceedances int         `yaml:"allowed_exceedances_per_year"`
	Percentile         int         `yaml:"percentile"`
	NthHighest         int         `yaml:"nth_highest"`
	Years              int         `yaml:"years"`
	Hysteresis         float64     `yaml:"hysteresis"`
	Confidence         string      `yaml:"confidence"`
	Source             string      `yaml:"source"`
	Note               string      `yaml:"note"`
	Coefficients       []string    `yaml:"coefficients"`
	Force              string      `yaml:"force"` // guideline: a value that binds no one in a binding regulation
	DesignValue        *designFile `yaml:"design_value"`
}

// designFile is a limit's design_value: how a US NAAQS design value is reduced before it is
// compared with the level as written (rules/README.md, "US NAAQS design values").
type designFile struct {
	Round          float64 `yaml:"round"`           // round to this step, in the limit's unit
	Truncate       float64 `yaml:"truncate"`        // or truncate to it
	StartHours     []int   `yaml:"start_hours"`     // [first, last]: the 8-h periods of a day start at these local hours
	NonOverlapping bool    `yaml:"non_overlapping"` // the n-th highest of non-overlapping 8-h means, not of days
	// ExpectedExceedances: the design value is the expected exceedances per year (Appendix K),
	// a day exceeding when its value rounded to this step is above the level.
	ExpectedExceedances float64 `yaml:"expected_exceedances"`
}

var (
	regulationID    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/+-]{0,63}$`)
	coefficientName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,15}$`)
)

// PermitRegulation is the regulation label of a station's own permit limits.
const PermitRegulation = "permit"

// ParseRegulation parses and validates one regulation file; file names it in errors, which
// read "file:line: key: reason", one per problem.
func ParseRegulation(data []byte, file string) (*Regulation, error) {
	var f regulationFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file", file)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	lines := yamlpos.SequenceLines(data, "limits")
	var errs []error
	bad := func(line int, key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s: %s", file, line, key, fmt.Sprintf(format, args...)))
	}
	r := &Regulation{ID: f.ID, Title: f.Title, Country: f.Country, Force: f.Force, Kind: quantrac.Kind(f.Kind),
		Timezone: f.Timezone, Status: f.Status, Note: f.Note, Source: f.Source, File: file}
	var err error
	switch r.Force {
	case "":
		r.Force = ForceGuideline // a regulation binds only where its file says so
	case ForceBinding, ForceGuideline:
	default:
		bad(1, "force", "%q: want %s or %s", f.Force, ForceBinding, ForceGuideline)
	}
	if !regulationID.MatchString(f.ID) || f.ID == PermitRegulation {
		bad(1, "id", "%q must match %s and not be %q", f.ID, regulationID, PermitRegulation)
	}
	if f.Title == "" || f.Source.Document == "" {
		bad(1, "title", "title and source.document are required")
	}
	if !r.Kind.Valid() {
		bad(1, "kind", "unknown kind %q (want air or wastewater)", f.Kind)
	}
	if r.Timezone == "" {
		r.Timezone = "UTC"
	}
	r.Reference, r.HourCoverage = param.Standard, DefaultHourCoverage
	if f.Reference.Temperature != "" {
		if r.Reference, err = param.ParseReference(f.Reference.Temperature); err != nil {
			bad(1, "reference.temperature", "%v", err)
		}
	}
	if f.HourCoverage != nil {
		if r.HourCoverage = *f.HourCoverage; r.HourCoverage <= 0 || r.HourCoverage > 1 {
			bad(1, "hour_coverage", "%v must be in (0, 1]", r.HourCoverage)
		}
	}
	switch f.AnnualMeanOf {
	case "days":
		r.AnnualOfDays = true
	case "", "hours":
	default:
		bad(1, "annual_mean_of", "%q: want days or hours", f.AnnualMeanOf)
	}
	loc, lerr := time.LoadLocation(r.Timezone)
	if lerr != nil {
		bad(1, "timezone", "unknown time zone %q", r.Timezone)
		loc = time.UTC
	}
	for i, lf := range f.Limits {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		l, err := lf.limit(loc, r)
		if err != nil {
			bad(line, fmt.Sprintf("limits[%d]", i), "%v", err)
			continue
		}
		r.Limits = append(r.Limits, l)
	}
	if len(errs) == 0 {
		if r.rules, err = groupRules(r); err != nil {
			bad(1, "limits", "%v", err)
		}
		r.hourly = hourlyRules(r.rules)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// limit validates one limit of reg and converts its bounds to the parameter's canonical unit
// at the regulation's reference conditions.
func (lf *limitFile) limit(loc *time.Location, reg *Regulation) (Limit, error) {
	p, ok := param.Lookup(lf.Parameter)
	if !ok {
		return Limit{}, fmt.Errorf("unknown parameter %q", lf.Parameter)
	}
	l := Limit{Parameter: p.ID, Period: lf.Period, Unit: p.Unit, AllowedExceedances: lf.AllowedExceedances,
		Percentile: lf.Percentile, NthHighest: lf.NthHighest, Years: max(1, lf.Years),
		Hysteresis: lf.Hysteresis, Confidence: lf.Confidence, Source: lf.Source, Note: lf.Note,
		Coefficients: lf.Coefficients, MinCoverage: DefaultMinCoverage, Force: reg.Force}
	switch lf.Force {
	case "":
	case ForceGuideline:
		l.Force = ForceGuideline
	default:
		return l, fmt.Errorf("force %q: a limit can only be %s (in a binding regulation)", lf.Force, ForceGuideline)
	}
	var err error
	if l.kind, l.Duration, err = parsePeriod(lf.Period); err != nil {
		return l, err
	}
	if l.kind == perHour {
		l.MinCoverage = reg.HourCoverage
	}
	if l.Statistic, err = parseStatistic(lf.Statistic); err != nil {
		return l, err
	}
	lo, hi, err := bounds(lf.Min, lf.Max, lf.Range)
	if err != nil {
		return l, err
	}
	if lf.Unit == "" {
		return l, errors.New("unit is required")
	}
	l.Written = writtenValue(lo, hi, lf.Unit)
	for _, b := range []struct {
		v   *float64
		dst **float64
	}{{lo, &l.Min}, {hi, &l.Max}} {
		if b.v == nil {
			continue
		}
		c, err := p.ToCanonicalAt(*b.v, lf.Unit, reg.Reference)
		if err != nil {
			return l, fmt.Errorf("unit %q: %w", lf.Unit, err)
		}
		c = roundCanonical(c)
		*b.dst = &c
	}
	if err := l.checkShape(); err != nil {
		return l, err
	}
	if l.From, err = parseDate(lf.From, loc, false); err != nil {
		return l, fmt.Errorf("from: %w", err)
	}
	if l.Until, err = parseDate(lf.Until, loc, true); err != nil {
		return l, fmt.Errorf("until: %w", err)
	}
	if !l.From.IsZero() && !l.Until.IsZero() && !l.Until.After(l.From) {
		return l, errors.New("until must be after from")
	}
	l.from, l.until = math.MinInt64, math.MaxInt64
	if !l.From.IsZero() {
		l.from = l.From.UnixNano()
	}
	if !l.Until.IsZero() {
		l.until = l.Until.UnixNano()
	}
	if lf.MinCoverage != nil {
		l.MinCoverage = *lf.MinCoverage
	}
	if lf.Years < 0 {
		l.Years = lf.Years
	}
	if l.Design, err = lf.design(); err != nil {
		return l, fmt.Errorf("design_value: %w", err)
	}
	return l, l.checkRest()
}

// checkShape checks that the statistic fits the bounds and the period.
func (l *Limit) checkShape() error {
	isRange := l.Min != nil && l.Max != nil
	switch {
	case l.Statistic == Range && !isRange:
		return errors.New("statistic range needs a range [lo, hi] limit")
	case l.kind == perYear && l.Statistic != Mean:
		return errors.New("a 1y period supports only the mean statistic")
	case l.kind == perSample && l.Statistic != Mean:
		return errors.New("a sample limit compares every reading: give no statistic (use min, max or range bounds)")
	case l.Statistic == MaxDaily8h && l.Period != "8h":
		return errors.New("statistic max_daily_8h needs period 8h")
	case l.Statistic == DailyMax1h && l.Period != "1h":
		return errors.New("statistic daily_max_1h needs period 1h")
	case isRange && *l.Min > *l.Max:
		return errors.New("range lower bound above upper bound")
	}
	return nil
}

// checkForm checks the exceedance form: one of allowed_exceedances_per_year, percentile and
// nth_highest, on a period counted in hours or days; years on a counted limit or a 1y mean.
func (l *Limit) checkForm() error {
	forms := 0
	for _, v := range []int{l.AllowedExceedances, l.Percentile, l.NthHighest} {
		if v < 0 {
			return errors.New("allowed_exceedances_per_year, percentile and nth_highest must not be negative")
		}
		if v > 0 {
			forms++
		}
	}
	daily := l.kind == perDay || l.Statistic == MaxDaily8h || l.Statistic == DailyMax1h
	switch {
	case forms > 1:
		return errors.New("give one of allowed_exceedances_per_year, percentile and nth_highest")
	case forms == 1 && !daily && l.kind != perHour:
		return errors.New("an exceedance allowance needs a period counted in hours or days (1h, 24h, or statistic max_daily_8h or daily_max_1h)")
	case l.Percentile > 0 && (!daily || l.Percentile < 50 || l.Percentile > 99):
		return errors.New("percentile must be 50-99 on a period counted in days (24h, max_daily_8h, daily_max_1h)")
	case l.Years < 1 || l.Years > maxYears:
		return fmt.Errorf("years %d must be 1-%d", l.Years, maxYears)
	case l.Years > 1 && forms == 0 && l.kind != perYear:
		return errors.New("years averages a counted limit or a 1y mean")
	}
	return nil
}

func (l *Limit) checkRest() error {
	switch {
	case l.MinCoverage <= 0 || l.MinCoverage > 1:
		return fmt.Errorf("min_coverage %v must be in (0, 1]", l.MinCoverage)
	case l.Hysteresis < 0 || l.Hysteresis >= 1:
		return fmt.Errorf("hysteresis %v must be in [0, 1)", l.Hysteresis)
	case l.Confidence != "" && l.Confidence != "C2" && l.Confidence != "C1" && l.Confidence != "U":
		return fmt.Errorf("confidence %q: want C2, C1 or U", l.Confidence)
	}
	for _, c := range l.Coefficients {
		if !coefficientName.MatchString(c) {
			return fmt.Errorf("coefficient name %q must match %s", c, coefficientName)
		}
	}
	if err := l.checkForm(); err != nil {
		return err
	}
	return l.checkDesign()
}

// bounds turns max | min | range into lower and upper bounds; exactly one form is allowed
// (min together with max is a range too).
func bounds(lo, hi *float64, rng []float64) (*float64, *float64, error) {
	if rng != nil {
		if lo != nil || hi != nil {
			return nil, nil, errors.New("give either range or min/max, not both")
		}
		if len(rng) != 2 {
			return nil, nil, errors.New("range must be [lo, hi]")
		}
		lo, hi = &rng[0], &rng[1]
	}
	if lo == nil && hi == nil {
		return nil, nil, errors.New("one of max, min or range is required")
	}
	for _, v := range []*float64{lo, hi} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
			return nil, nil, fmt.Errorf("limit value %v must be a finite non-negative number", *v)
		}
	}
	if hi != nil && *hi == 0 {
		return nil, nil, errors.New("max must be positive")
	}
	return lo, hi, nil
}

// roundCanonical drops the binary noise of a unit conversion (10 mg/m³ × 1000 =
// 10000.000000000002) so that catalog values print and compare as the regulation wrote them.
func roundCanonical(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return r
}

func writtenValue(lo, hi *float64, unit string) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch {
	case lo != nil && hi != nil:
		return f(*lo) + "–" + f(*hi) + " " + unit
	case hi != nil:
		return "≤ " + f(*hi) + " " + unit
	default:
		return "≥ " + f(*lo) + " " + unit
	}
}

// parseDate reads a from/until value: a date (in the regulation's zone) or an RFC 3339 time.
// An until date is inclusive: the limit is in force through the end of that day.
func parseDate(s string, loc *time.Location, until bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		if until {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (2006-01-02) or an RFC 3339 time", s)
	}
	return t, nil
}

// describe formats the key of a limit for messages: "pm25 24h".
func (l *Limit) describe() string { return strings.Join([]string{l.Parameter, l.Period}, " ") }
