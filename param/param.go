package param

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parameter is one measured quantity of the catalog. Values of it are stored in Unit.
type Parameter struct {
	ID        string  // canonical id: pm25, so2, cod, nh4_n, …
	Name      string  // English name
	Unit      string  // canonical unit: "µg/m³" for every air gas and particle, "mg/L", "pH", "°C", …
	Min, Max  float64 // plausible physical range in Unit
	MolarMass float64 // g/mol for gases converted from ppb/ppm, 0 otherwise

	aliases []string
	canon   *unitDef
	index   int
}

// Aliases returns the other names the parameter is known by (the Circular 10/2021 symbol
// first when it has one); Lookup matches them case-insensitively.
func (p *Parameter) Aliases() []string { return slices.Clone(p.aliases) }

// Index returns the parameter's position in All, a small dense integer callers can use to
// index per-parameter arrays.
func (p *Parameter) Index() int { return p.index }

// InRange reports whether v, in the canonical unit, is within the parameter's plausible range.
func (p *Parameter) InRange(v float64) bool { return v >= p.Min && v <= p.Max }

// catalog is the immutable lookup structure built once from table.
type catalog struct {
	all    []*Parameter
	byName map[string]*Parameter // ids and aliases as spelled, and their lower-case forms
	units  map[string]*unitDef   // normalised unit spellings and canonical units as spelled
}

// cat is the package's catalog. It is written only by its initialiser.
var cat = buildCatalog()

func buildCatalog() *catalog {
	rows := table()
	c := &catalog{byName: make(map[string]*Parameter, len(rows)*12), units: unitTable()}
	for i := range rows {
		p := &rows[i].p
		p.aliases = rows[i].aliases
		p.index = i
		p.canon = c.unit(p.Unit)
		c.units[p.Unit] = p.canon
		c.all = append(c.all, p)
		for _, name := range append([]string{p.ID}, p.aliases...) {
			for _, k := range []string{name, lowerKey(name)} {
				if _, taken := c.byName[k]; !taken {
					c.byName[k] = p
				}
			}
		}
	}
	return c
}

// All returns every parameter of the catalog in a stable order. The slice is a copy; the
// parameters are shared and must not be modified.
func All() []*Parameter { return slices.Clone(cat.all) }

// Lookup returns the parameter named by a canonical id or an alias, matched
// case-insensitively after trimming surrounding white space.
func Lookup(name string) (*Parameter, bool) {
	if p, ok := cat.byName[name]; ok {
		return p, true
	}
	var buf [64]byte
	key, ok := foldInto(buf[:0], strings.TrimSpace(name))
	if !ok {
		return nil, false
	}
	p, ok := cat.byName[string(key)]
	return p, ok
}

// foldInto appends the lower-case form of s to dst without growing it; ok is false when it
// does not fit (no catalog name is that long).
func foldInto(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if len(dst) == cap(dst) {
				return dst, false
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		r = unicode.ToLower(r)
		if cap(dst)-len(dst) < utf8.RuneLen(r) {
			return dst, false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst, true
}

// lowerKey is foldInto for building the catalog.
func lowerKey(s string) string {
	b, _ := foldInto(make([]byte, 0, 4*len(s)), strings.TrimSpace(s))
	return string(b)
}

// unit resolves a unit spelling while the catalog is being built.
func (c *catalog) unit(s string) *unitDef {
	key, _ := normUnit(make([]byte, 0, 4*len(s)), strings.TrimSpace(s))
	return c.units[string(key)]
}
