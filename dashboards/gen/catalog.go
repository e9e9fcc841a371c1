package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// regulation is the part of a rules/catalog file the dashboards draw: limit values.
type regulation struct {
	ID     string  `yaml:"id"`
	Limits []limit `yaml:"limits"`
}

// limit is one versioned limit of a regulation (rules/README.md, "File format").
type limit struct {
	Parameter  string    `yaml:"parameter"`
	Period     string    `yaml:"period"`
	Max        *float64  `yaml:"max"`
	Min        *float64  `yaml:"min"`
	Range      []float64 `yaml:"range"`
	From       string    `yaml:"from"`
	Until      string    `yaml:"until"`
	Confidence string    `yaml:"confidence"`
}

// catalog holds the regulations read from rules/catalog, by id.
type catalog map[string]regulation

// loadCatalog reads every *.yaml of dir.
func loadCatalog(dir string) (catalog, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no regulation files in %s", dir)
	}
	c := catalog{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r regulation
		if err := yaml.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if r.ID != "" { // sources.yaml, the source key table, is no regulation
			c[r.ID] = r
		}
	}
	return c, nil
}

// current returns, per period, the newest version of the regulation's limits on parameter
// (the one with the latest "from": the value in force now or from a coming date), ordered by
// period length. Dashboards are static, so they draw that version; the limit ratio panels
// show what quantrac evaluated with the version in force at each window's end.
func (c catalog) current(regID, parameter string) ([]limit, error) {
	reg, ok := c[regID]
	if !ok {
		return nil, fmt.Errorf("regulation %s not in the catalog", regID)
	}
	newest := map[string]limit{}
	for _, l := range reg.Limits {
		if l.Parameter != parameter || l.Confidence == "U" { // uncertain values are not evaluated
			continue
		}
		if old, ok := newest[l.Period]; !ok || l.From > old.From {
			newest[l.Period] = l
		}
	}
	out := make([]limit, 0, len(newest))
	for _, l := range newest {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b limit) int { return periodRank(a.Period) - periodRank(b.Period) })
	return out, nil
}

// periodRank orders periods by length: sample < 1h < 3h < 8h < 24h < 1y.
func periodRank(p string) int {
	order := []string{"sample", "1h", "3h", "8h", "24h", "1y"}
	if i := slices.Index(order, p); i >= 0 {
		return i
	}
	return len(order)
}

// describe says which limits a panel draws, for its description.
func describe(regID string, ls []limit, unit string) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		switch {
		case l.Max != nil:
			parts = append(parts, fmt.Sprintf("%s ≤ %g %s", l.Period, *l.Max, unit))
		case l.Min != nil:
			parts = append(parts, fmt.Sprintf("%s ≥ %g %s", l.Period, *l.Min, unit))
		case len(l.Range) == 2:
			parts = append(parts, fmt.Sprintf("%s %g–%g %s", l.Period, l.Range[0], l.Range[1], unit))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return regID + ": " + strings.Join(parts, "; ")
}
