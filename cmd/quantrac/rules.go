package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/rules"
)

// ruleFiles collects repeated -file flags.
type ruleFiles []string

func (f *ruleFiles) String() string     { return strings.Join(*f, ",") }
func (f *ruleFiles) Set(v string) error { *f = append(*f, v); return nil }

// rulesCommand prints the regulation catalog: the regulations with their sources, then one
// row per limit (regulation, parameter, period, statistic — the regulation's form —, limit,
// unit, the value as written, in force from/until, confidence, source). Limits are shown in
// the parameter's canonical unit at the regulation's reference conditions, as evaluated, and
// as the regulation file wrote them. -v adds, per regulation and limit, the table and
// article, notes, the data capture rule, the reference conditions and the full source of
// every source key cited.
func rulesCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files ruleFiles
	fs.Var(&files, "file", "extra rule file to load beside the built-in catalog (repeatable)")
	only := fs.String("regulation", "", "print only this regulation id")
	verbose := fs.Bool("v", false, "add each limit's table/article, notes, capture rule, reference conditions and full sources")
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
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, l.Parameter, l.Period, l.Form(r.AnnualOfDays),
				limitText(&l), l.Unit, l.Written, date(l.From, r.Timezone, false), date(l.Until, r.Timezone, true), conf, l.Source)
		}
	}
	w.Flush()
	if *verbose {
		for _, r := range regs {
			printDetails(stdout, cat, r)
		}
	}
	return 0
}

// printDetails prints a regulation's and its limits' traceability: source document, table
// and article, notes, data capture, reference conditions, and the cited source keys in full.
func printDetails(out io.Writer, cat *rules.Catalog, r *rules.Regulation) {
	fmt.Fprintf(out, "\n%s — %s\n", r.ID, r.Title)
	field := func(indent, name, value string) {
		if value != "" {
			fmt.Fprintf(out, "%s%-10s %s\n", indent, name+":", value)
		}
	}
	field("  ", "document", r.Source.Document)
	field("  ", "table", r.Source.Table)
	field("  ", "article", r.Source.Article)
	field("  ", "url", r.Source.URL)
	field("  ", "reference", "gas concentrations at "+r.Reference.String()+", 1 atm")
	field("  ", "status", r.Status)
	field("  ", "note", r.Note)
	for _, l := range r.Limits {
		fmt.Fprintf(out, "  %s %s %s %s (%s – %s)\n", l.Parameter, l.Period, limitText(&l), l.Unit,
			date(l.From, r.Timezone, false), date(l.Until, r.Timezone, true))
		field("    ", "form", l.Form(r.AnnualOfDays))
		field("    ", "source", l.Source)
		field("    ", "capture", l.Capture(r))
		if p, ok := param.Lookup(l.Parameter); ok && p.IsGas() {
			field("    ", "reference", r.Reference.String()+", 1 atm (readings are compared at it)")
		}
		field("    ", "written", l.Written)
		if l.Uncertain() {
			field("    ", "confidence", "U: listed, not evaluated")
		} else {
			field("    ", "confidence", l.Confidence)
		}
		field("    ", "note", l.Note)
		keys, entries := cat.Sources(l.Source)
		if len(keys) == 0 {
			keys, entries = cat.Sources(r.Source.Document)
		}
		for i, k := range keys {
			e := entries[i]
			if e.What == "" {
				e.What = "(not in the source key table)"
			}
			fmt.Fprintf(out, "    [%s] %s — %s\n", k, e.What, e.Where)
		}
	}
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
	switch {
	case l.AllowedExceedances > 0:
		s += fmt.Sprintf(" (%d/year)", l.AllowedExceedances)
	case l.Percentile > 0:
		s += fmt.Sprintf(" (p%d)", l.Percentile)
	case l.NthHighest > 0:
		s += fmt.Sprintf(" (%d/year)", l.NthHighest-1)
	}
	if l.Years > 1 {
		s += fmt.Sprintf(" over %d years", l.Years)
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
