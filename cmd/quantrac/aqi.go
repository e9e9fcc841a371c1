package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules/aqi"
)

const aqiUsage = `usage: quantrac aqi -scheme vn|us -param P [-unit U] (-value C -period 1h|8h|24h | -hourly c1,c2,…,c12)

Prints the index as an integer on the first line and its category on the second: the EPA
descriptor for us, the Vietnamese name of Decision 1459 followed by the EPA descriptor for vn.
Exit status 0, 1 when no index is defined for the input, 2 when the flags are wrong.

flags:
`

// aqiCommand runs `quantrac aqi`; it returns the process exit code.
func aqiCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("aqi", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line below
	scheme := fs.String("scheme", "", "index: vn (VN_AQI, Decision 1459/QĐ-TCMT) or us (US EPA AQI, 2024)")
	pname := fs.String("param", "", "pollutant: pm25, pm10, o3, no2, so2, co (aliases such as PM2.5 accepted)")
	unit := fs.String("unit", "µg/m³", "unit of -value and -hourly: µg/m³, mg/m³, ppb, ppm")
	value := fs.String("value", "", "concentration averaged over -period")
	period := fs.String("period", "", "averaging period of -value: 1h, 8h or 24h (PM: 24h)")
	hourly := fs.String("hourly", "", "PM hourly means c1,…,c12, most recent first, - for a missing hour: NowCast")
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "quantrac aqi: "+format+"\n", a...)
		return code
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, aqiUsage)
			fs.PrintDefaults()
			return 0
		}
		return fail(2, "%v", err)
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected argument %q", fs.Arg(0))
	}
	s := aqi.Scheme(*scheme)
	if !s.Valid() {
		return fail(2, "-scheme %q: want vn or us", *scheme)
	}
	p, ok := param.Lookup(*pname)
	if !ok {
		return fail(2, "-param %q: unknown parameter", *pname)
	}
	var (
		v   float64
		err error
	)
	switch {
	case (*value == "") == (*hourly == ""):
		return fail(2, "give either -value with -period, or -hourly")
	case *value != "":
		if *period == "" {
			return fail(2, "-value needs -period (1h, 8h or 24h)")
		}
		c, cerr := concentration(p, *value, *unit)
		if cerr != nil {
			return fail(2, "-value: %v", cerr)
		}
		v, err = aqi.SubIndex(s, p.ID, *period, c)
	default:
		if *period != "" {
			return fail(2, "-period does not apply to -hourly (NowCast)")
		}
		if p.ID != "pm25" && p.ID != "pm10" {
			return fail(2, "-hourly: NowCast is defined for pm25 and pm10, not %s", p.ID)
		}
		v, err = nowcastIndex(s, p, *hourly, *unit)
		var usage usageError
		if errors.As(err, &usage) {
			return fail(2, "-hourly: %v", err)
		}
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	n := aqi.Round(v)
	fmt.Fprintf(stdout, "%d\n%s\n", n, categoryLabel(s, aqi.CategoryOf(n)))
	return 0
}

// usageError marks an error in the flags' values (exit 2) rather than an undefined index.
type usageError struct{ error }

// nowcastIndex computes the sub-index of the NowCast of a comma-separated list of hourly means.
func nowcastIndex(s aqi.Scheme, p *param.Parameter, list, unit string) (float64, error) {
	fields := strings.Split(list, ",")
	if len(fields) > 12 {
		return 0, usageError{fmt.Errorf("%d hourly means; NowCast takes at most 12", len(fields))}
	}
	hours := make([]float64, len(fields))
	for i, f := range fields {
		f = strings.TrimSpace(f)
		if f == "-" || f == "" {
			hours[i] = math.NaN()
			continue
		}
		c, err := concentration(p, f, unit)
		if err != nil {
			return 0, usageError{fmt.Errorf("c%d: %w", i+1, err)}
		}
		hours[i] = c
	}
	nc, ok := aqi.NowCast(hours)
	if !ok {
		return 0, errors.New("no NowCast: fewer than 2 of the 3 most recent hours (c1, c2, c3) are present")
	}
	return aqi.SubIndex(s, p.ID, "24h", nc)
}

// concentration parses a number in unit and converts it to the parameter's canonical µg/m³.
func concentration(p *param.Parameter, text, unit string) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a number", text)
	}
	return p.ToCanonical(x, unit)
}

// categoryLabel is the second output line: the EPA descriptor for us; for vn the Vietnamese
// name of Decision 1459 Table 1 followed by the EPA descriptor of the same band.
func categoryLabel(s aqi.Scheme, c aqi.Category) string {
	if s == aqi.VN {
		return c.NameVI + " (" + c.Name + ")"
	}
	return c.Name
}
