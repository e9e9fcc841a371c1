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
	"github.com/quantrac/quantrac/param"
)

// DefaultMinCoverage is the data capture a window needs for a verdict unless a limit states
// its own: 75 %, the EU aggregation rule (2008/50/EC Annex VII/XI: 18 of 24 hours, 45 of 60
// minutes); no Vietnamese rule was found (research §6.3), so it is an assumption there.
const DefaultMinCoverage = 0.75

// regulationFile is the YAML form of a regulation file (rules/README.md).
type regulationFile struct {
	ID       string      `yaml:"id"`
	Title    string      `yaml:"title"`
	Country  string      `yaml:"country"`
	Kind     string      `yaml:"kind"`
	Timezone string      `yaml:"timezone"`
	Status   string      `yaml:"status"`
	Note     string      `yaml:"note"`
	Source   Source      `yaml:"source"`
	Limits   []limitFile `yaml:"limits"`
}

type limitFile struct {
	Parameter          string    `yaml:"parameter"`
	Period             string    `yaml:"period"`
	Statistic          string    `yaml:"statistic"`
	Max                *float64  `yaml:"max"`
	Min                *float64  `yaml:"min"`
	Range              []float64 `yaml:"range"`
	Unit               string    `yaml:"unit"`
	From               string    `yaml:"from"`
	Until              string    `yaml:"until"`
	MinCoverage        *float64  `yaml:"min_coverage"`
	AllowedExceedances int       `yaml:"allowed_exceedances_per_year"`
	Hysteresis         float64   `yaml:"hysteresis"`
	Confidence         string    `yaml:"confidence"`
	Source             string    `yaml:"source"`
	Note               string    `yaml:"note"`
	Coefficients       []string  `yaml:"coefficients"`
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
	lines := limitLines(data)
	var errs []error
	bad := func(line int, key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s: %s", file, line, key, fmt.Sprintf(format, args...)))
	}
	r := &Regulation{ID: f.ID, Title: f.Title, Country: f.Country, Kind: quantrac.Kind(f.Kind),
		Timezone: f.Timezone, Status: f.Status, Note: f.Note, Source: f.Source, File: file}
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
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil {
		bad(1, "timezone", "unknown time zone %q", r.Timezone)
		loc = time.UTC
	}
	for i, lf := range f.Limits {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		l, err := lf.limit(loc)
		if err != nil {
			bad(line, fmt.Sprintf("limits[%d]", i), "%v", err)
			continue
		}
		r.Limits = append(r.Limits, l)
	}
	if len(errs) == 0 {
		var err error
		if r.rules, err = groupRules(r.ID, r.Limits); err != nil {
			bad(1, "limits", "%v", err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// limit validates one limit and converts its bounds to the parameter's canonical unit.
func (lf *limitFile) limit(loc *time.Location) (Limit, error) {
	p, ok := param.Lookup(lf.Parameter)
	if !ok {
		return Limit{}, fmt.Errorf("unknown parameter %q", lf.Parameter)
	}
	l := Limit{Parameter: p.ID, Period: lf.Period, Unit: p.Unit, AllowedExceedances: lf.AllowedExceedances,
		Hysteresis: lf.Hysteresis, Confidence: lf.Confidence, Source: lf.Source, Note: lf.Note,
		Coefficients: lf.Coefficients, MinCoverage: DefaultMinCoverage}
	var err error
	if l.Duration, err = ParsePeriod(lf.Period); err != nil {
		return l, err
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
		c, err := p.ToCanonical(*b.v, lf.Unit)
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
	return l, l.checkRest()
}

// checkShape checks that the statistic fits the bounds and the period.
func (l *Limit) checkShape() error {
	isRange := l.Min != nil && l.Max != nil
	switch {
	case l.Statistic == Range && !isRange:
		return errors.New("statistic range needs a range [lo, hi] limit")
	case l.Duration == Year && l.Statistic != Mean:
		return errors.New("a 1y period supports only the mean statistic")
	case isRange && *l.Min > *l.Max:
		return errors.New("range lower bound above upper bound")
	}
	return nil
}

func (l *Limit) checkRest() error {
	switch {
	case l.MinCoverage <= 0 || l.MinCoverage > 1:
		return fmt.Errorf("min_coverage %v must be in (0, 1]", l.MinCoverage)
	case l.AllowedExceedances < 0:
		return errors.New("allowed_exceedances_per_year must not be negative")
	case l.AllowedExceedances > 0 && l.Duration == Year:
		return errors.New("allowed_exceedances_per_year needs a period up to 24h")
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
	return nil
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

// limitLines returns the line of each entry of the limits sequence.
func limitLines(data []byte) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "limits" {
			var lines []int
			for _, n := range root.Content[i+1].Content {
				lines = append(lines, n.Line)
			}
			return lines
		}
	}
	return nil
}

// describe formats the key of a limit for messages: "pm25 24h".
func (l *Limit) describe() string { return strings.Join([]string{l.Parameter, l.Period}, " ") }
