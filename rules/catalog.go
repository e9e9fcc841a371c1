package rules

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
)

//go:embed catalog/*.yaml
var builtin embed.FS

// Catalog is an immutable set of regulations: the built-in files plus the extra rule files of
// the configuration. It is safe for concurrent use.
type Catalog struct {
	regs    []*Regulation
	byID    map[string]*Regulation
	sources map[string]SourceKey
}

// SourceKey is one entry of the source key table shipped beside the catalog
// (catalog/sources.yaml): what a cited key ([S01], [N03], …) is and where it was read.
type SourceKey struct {
	What  string `yaml:"what"`
	Where string `yaml:"where"`
}

// sourcesFile is the source key table among the catalog files; it is not a regulation.
const sourcesFile = "catalog/sources.yaml"

// citedKey matches a source key as limits cite them: S01 … S44, N01 … N05.
var citedKey = regexp.MustCompile(`\b[SN][0-9]{2}\b`)

// Sources returns the source keys text cites, in order of first citation, with their entries
// of the source key table; a key the table lacks has an empty entry.
func (c *Catalog) Sources(text string) (keys []string, entries []SourceKey) {
	for _, k := range citedKey.FindAllString(text, -1) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
			entries = append(entries, c.sources[k])
		}
	}
	return keys, entries
}

// loadSources reads the source key table.
func loadSources() (map[string]SourceKey, error) {
	data, err := builtin.ReadFile(sourcesFile)
	if err != nil {
		return nil, err
	}
	var f struct {
		Sources map[string]SourceKey `yaml:"sources"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("rules/%s: %w", sourcesFile, err)
	}
	return f.Sources, nil
}

// Regulation is one regulation file: a national standard, a directive or a guideline, with
// its limits in canonical units.
type Regulation struct {
	ID       string        // catalog id, the regulation label: QCVN-05:2023, EU-2008/50, …
	Title    string        // full title
	Country  string        // ISO 3166 code, or EU / WHO
	Force    string        // ForceBinding or ForceGuideline: what the regulation is in its country (force.go)
	Kind     quantrac.Kind // the station kind it applies to
	Timezone string        // the zone of the from/until dates, UTC unless stated
	Status   string        // what is (not) known, e.g. "no numeric limits known"
	Note     string        // remarks shown by quantrac rules
	Source   Source        // the document
	Limits   []Limit       // in file order
	File     string        // the file it was read from, for messages
	// Reference is the temperature at which the regulation states gas concentrations
	// (QCVN and US 25 °C, EU 20 °C); readings are compared at it (param.Reference).
	Reference param.Reference
	// HourCoverage is the share of a station's expected readings an hour needs to be valid
	// (DefaultHourCoverage unless the file says hour_coverage).
	HourCoverage float64
	// AnnualOfDays is set when the calendar-year mean is the mean of the year's valid daily
	// means (QCVN 05: "annual mean = mean of the values of the days of the year"); otherwise it
	// is the mean of the year's valid hourly means (EU, WHO, US).
	AnnualOfDays bool

	rules  []*rule // limits grouped by parameter and period, in file order
	hourly []*rule // the same with sample limits on 1-hour means, for stations with basis 1h
}

// Source cites a regulation or a limit: the document, table and article, and where to read it.
type Source struct {
	Document string `yaml:"document"`
	Table    string `yaml:"table"`
	Article  string `yaml:"article"`
	URL      string `yaml:"url"`
}

// Limit is one value of a regulation in force from From until Until, in the parameter's
// canonical unit (package param). A limit with both Min and Max is a range (pH 5.5–9).
type Limit struct {
	Parameter   string        // canonical parameter id
	Period      string        // as written: sample, 1h, 8h, 24h, 1y, …; the period label
	Duration    time.Duration // the period's nominal length; Year for 1y, 0 for sample
	Statistic   Statistic     // mean unless stated
	Min, Max    *float64      // bounds in Unit; nil when absent
	Unit        string        // canonical unit of the parameter
	Written     string        // the value and unit as written in the file, e.g. "10 mg/m³"
	From, Until time.Time     // in force from From (inclusive) until Until (exclusive); zero: open
	MinCoverage float64       // data capture needed for a verdict, 0.75 unless stated
	// AllowedExceedances is the number of exceeding hours or days a calendar year allows;
	// 0 when the regulation allows none.
	AllowedExceedances int
	// Percentile is a percentile form (98, 99): the rank of a design value's annual statistic
	// follows from the year's valid days (EPA's rank table); without Design, the days allowed
	// above the level do (Allowance).
	Percentile int
	// NthHighest is an "n-th highest" form (ozone: the 4th-highest daily maximum 8-hour mean):
	// the rank of a design value's annual statistic; without Design, n−1 days a year may exceed.
	NthHighest int
	// Years is the number of calendar years a form is averaged over (EU ozone, US NAAQS: 3);
	// for a 1y limit, the number of annual means averaged. 1 unless stated.
	Years        int
	Hysteresis   float64  // fraction of the limit a value must fall back below it to end a violation
	Confidence   string   // C2, C1 or U (see rules/README.md); "" when not stated
	Source       string   // table and row, with the research source keys
	Note         string   // remarks
	Coefficients []string // station coefficients that multiply the limit: [kq, kf], [k]
	// Force is ForceGuideline for a value of a binding regulation that binds no one (an EU
	// target value, information threshold or long-term objective); otherwise the regulation's.
	Force string
	// Design is set for a US NAAQS design value (designvalue.go): the form's annual statistic
	// per calendar year, averaged over Years, rounded or truncated, compared with the level.
	Design *DesignValue

	from, until int64 // From and Until in Unix ns, open ends as the extreme values
	kind        periodKind
}

// Counted reports whether the limit counts exceeding hours or days against an allowance
// (allowed_exceedances_per_year, percentile or nth_highest).
func (l *Limit) Counted() bool {
	return l.AllowedExceedances > 0 || l.Percentile > 0 || l.NthHighest > 0
}

// inForceAt reports whether the limit is in force at Unix time ns.
func (l *Limit) inForceAt(ns int64) bool { return ns >= l.from && ns < l.until }

// Uncertain reports whether the value is marked U: listed, never evaluated.
func (l *Limit) Uncertain() bool { return l.Confidence == "U" }

// InForce reports whether the limit is in force at t.
func (l *Limit) InForce(t time.Time) bool {
	return (l.From.IsZero() || !t.Before(l.From)) && (l.Until.IsZero() || t.Before(l.Until))
}

// Regulation returns the regulation with the given id, or nil.
func (c *Catalog) Regulation(id string) *Regulation {
	if c == nil {
		return nil
	}
	return c.byID[id]
}

// Regulations returns the regulations in catalog order: built-in files by name, then extra
// files in the order given (an extra file with a built-in id takes its place).
func (c *Catalog) Regulations() []*Regulation {
	if c == nil {
		return nil
	}
	return slices.Clone(c.regs)
}

// LoadCatalog loads the built-in catalog and then each extra rule file; an extra file whose id
// is already in the catalog replaces that regulation. Every problem is reported as
// "file:line: key: reason".
func LoadCatalog(extraFiles ...string) (*Catalog, error) {
	c := &Catalog{byID: map[string]*Regulation{}}
	names, err := fs.Glob(builtin, "catalog/*.yaml")
	if err != nil {
		return nil, err
	}
	if c.sources, err = loadSources(); err != nil {
		return nil, err
	}
	var errs []error
	for _, name := range names {
		if name == sourcesFile {
			continue
		}
		data, err := builtin.ReadFile(name)
		if err != nil {
			return nil, err
		}
		r, err := ParseRegulation(data, "rules/"+name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.byID[r.ID] != nil {
			errs = append(errs, fmt.Errorf("%s: id: %q is also defined in %s", r.File, r.ID, c.byID[r.ID].File))
			continue
		}
		c.add(r)
	}
	for _, f := range extraFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r, err := ParseRegulation(data, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.add(r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// NewCatalog builds a catalog from parsed regulations (tests, tools); later ids replace
// earlier ones.
func NewCatalog(regs ...*Regulation) *Catalog {
	c := &Catalog{byID: map[string]*Regulation{}}
	for _, r := range regs {
		c.add(r)
	}
	return c
}

func (c *Catalog) add(r *Regulation) {
	if old := c.byID[r.ID]; old != nil {
		c.regs[slices.Index(c.regs, old)] = r
	} else {
		c.regs = append(c.regs, r)
	}
	c.byID[r.ID] = r
}
