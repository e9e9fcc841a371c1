package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quantrac/quantrac/rules"
)

// ruleFiles collects repeated -file flags.
type ruleFiles []string

func (f *ruleFiles) String() string     { return strings.Join(*f, ",") }
func (f *ruleFiles) Set(v string) error { *f = append(*f, v); return nil }

// rulesCommand prints the regulation catalog: the regulations with their sources, then one
// row per limit (regulation, parameter, period, statistic, limit, unit, the value as written,
// in force from/until, confidence, source). Limits are shown in the parameter's canonical
// unit, as evaluated, and as the regulation file wrote them.
func rulesCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files ruleFiles
	fs.Var(&files, "file", "extra rule file to load beside the built-in catalog (repeatable)")
	only := fs.String("regulation", "", "print only this regulation id")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "quantrac rules: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cat, err := rules.LoadCatalog(files...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	regs := cat.Regulations()
	if *only != "" {
		r := cat.Regulation(*only)
		if r == nil {
			fmt.Fprintf(stderr, "quantrac rules: unknown regulation %q\n", *only)
			return 1
		}
		regs = []*rules.Regulation{r}
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "REGULATION\tKIND\tCOUNTRY\tTITLE\tDOCUMENT\tURL")
	for _, r := range regs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Country, r.Title, r.Source.Document, dash(r.Source.URL))
	}
	w.Flush()
	fmt.Fprintln(stdout)
	w = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "REGULATION\tPARAMETER\tPERIOD\tSTATISTIC\tLIMIT\tUNIT\tAS WRITTEN\tFROM\tUNTIL\tCONFIDENCE\tSOURCE")
	for _, r := range regs {
		if len(r.Limits) == 0 {
			fmt.Fprintf(w, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n", r.ID, r.Status)
		}
		for _, l := range r.Limits {
			conf := dash(l.Confidence)
			if l.Uncertain() {
				conf = "U (not evaluated)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, l.Parameter, l.Period, l.Statistic,
				limitText(&l), l.Unit, l.Written, date(l.From, r.Timezone, false), date(l.Until, r.Timezone, true), conf, l.Source)
		}
	}
	w.Flush()
	return 0
}

// limitText formats a limit's bounds with its station coefficients and allowance:
// "≤ 150 × kq × kf", "5.5–9", "≤ 50 (35/year)".
func limitText(l *rules.Limit) string {
	f := func(v *float64) string { return strconv.FormatFloat(*v, 'f', -1, 64) }
	var s string
	switch {
	case l.Min != nil && l.Max != nil:
		s = f(l.Min) + "–" + f(l.Max)
	case l.Max != nil:
		s = "≤ " + f(l.Max)
	default:
		s = "≥ " + f(l.Min)
	}
	for _, c := range l.Coefficients {
		s += " × " + c
	}
	if l.AllowedExceedances > 0 {
		s += fmt.Sprintf(" (%d/year)", l.AllowedExceedances)
	}
	return s
}

// date prints a from/until bound as the regulation's calendar date (until inclusive).
func date(t time.Time, tz string, until bool) string {
	if t.IsZero() {
		return "-"
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		t = t.In(loc)
	}
	if until {
		t = t.Add(-time.Nanosecond)
	}
	return t.Format(time.DateOnly)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
