package quantrac

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quantrac/quantrac/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// Registry is an immutable set of stations, loaded from stations.yaml. To reload, load a new
// Registry and swap the pointer.
type Registry struct {
	File     string // the file it was loaded from, for messages
	country  string // the stations' country unless one says another
	stations []*Station
	byID     map[string]*Station
	zones    map[string]*time.Location // loaded once per name, shared by the stations
}

// newRegistry returns an empty registry to add stations to.
func newRegistry(file string) *Registry {
	return &Registry{File: file, country: DefaultCountry, byID: map[string]*Station{}, zones: map[string]*time.Location{}}
}

// NewRegistry builds a registry from already validated stations (tests, generators). It
// checks what add checks, but not what ParseRegistry adds for files: tag values that line
// protocol cannot carry pass here, so that tests can exercise the escaping of such values.
func NewRegistry(stations ...*Station) (*Registry, error) {
	r := newRegistry("")
	var errs []error
	for i, s := range stations {
		errs = append(errs, r.add(s, fmt.Sprintf("stations[%d]", i))...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// Station returns the station with the given id or alias, or nil.
func (r *Registry) Station(id string) *Station {
	if r == nil {
		return nil
	}
	return r.byID[id]
}

// Stations returns the stations in file order.
func (r *Registry) Stations() []*Station {
	if r == nil {
		return nil
	}
	return r.stations
}

// Len returns the number of stations.
func (r *Registry) Len() int { return len(r.Stations()) }

// RegistryOptions change what LoadRegistry and ParseRegistry accept.
type RegistryOptions struct {
	// AllowEmpty accepts a registry with no station (configuration key stations_allow_empty).
	// Without it an empty registry is an error: it rejects every message as unknown_station,
	// and an empty or truncated file is more often a mistake than the operator's intent.
	AllowEmpty bool
}

// LoadRegistry reads and validates a station registry file. Every problem found is reported,
// each as "file:line: key: reason". `quantrac check`, `quantrac run` and the SIGHUP reload
// all load the registry through it.
func LoadRegistry(path string, opts RegistryOptions) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRegistry(data, path, opts)
}

type registryFile struct {
	Country  string     `yaml:"country"` // the stations' country unless one says another
	Stations []*Station `yaml:"stations"`
}

// ParseRegistry parses and validates registry YAML; file names the source in errors.
func ParseRegistry(data []byte, file string, opts RegistryOptions) (*Registry, error) {
	var f registryFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	r := newRegistry(file)
	var bad []stationError
	if f.Country != "" {
		if !countryCode.MatchString(f.Country) {
			return nil, fmt.Errorf("%s: country: %q is not an ISO 3166 alpha-2 code (VN, TH, …) or EU", file, f.Country)
		}
		r.country = f.Country
	}
	for i, s := range f.Stations {
		key := fmt.Sprintf("stations[%d]", i)
		for _, e := range append(tagValueErrors(s, key), r.add(s, key)...) {
			bad = append(bad, stationError{i, e})
		}
	}
	if len(bad) > 0 {
		// Line numbers take a second parse of the whole file: only when there is an error.
		lines := yamlpos.SequenceLines(data, "stations")
		errs := make([]error, len(bad))
		for k, b := range bad {
			line := 0
			if b.index < len(lines) {
				line = lines[b.index]
			}
			errs[k] = fmt.Errorf("%s:%d: %w", file, line, b.err)
		}
		return nil, errors.Join(errs...)
	}
	if len(r.stations) == 0 && !opts.AllowEmpty {
		return nil, fmt.Errorf("%s: stations: no station registered: every message would be rejected as unknown_station "+
			"(set stations_allow_empty: true in the configuration to run with an empty registry)", file)
	}
	return r, nil
}

// stationError is a problem found in the entry index of the stations sequence.
type stationError struct {
	index int
	err   error
}

var stationID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// countryCode is an ISO 3166 alpha-2 code, or EU.
var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// tagKey is what a registry tag name may be: it becomes an InfluxDB tag key and a Prometheus
// label name. No leading underscore: InfluxDB 2.x reserves _field and _measurement, and
// Prometheus reserves labels starting with __.
var tagKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// reservedTags may not be set by registry tags: quantrac's own tags and labels, and "time",
// which InfluxDB refuses as a tag key (HTTP 400 on every write of the station).
var reservedTags = []string{"station", "name", "kind", "lat", "lon", "parameter", "regulation", "period", "scheme", "reason", "unit", "result", "time"}

// tagValueProblem says why line protocol cannot carry v as a tag value exactly, or returns "".
// Measured against InfluxDB 1.8 with store's encoder: a value ending in a backslash escapes
// the separator after it, and every write of the station fails with HTTP 400; newlines and
// carriage returns cannot be written and come back as spaces. Other control characters and
// invalid UTF-8 are refused too: the value is also a Prometheus label, and is meant as text.
func tagValueProblem(v string) string {
	if !utf8.ValidString(v) {
		return "is not valid UTF-8"
	}
	if strings.HasSuffix(v, `\`) {
		return "ends in a backslash, which would escape the separator after it (InfluxDB refuses every write of the station)"
	}
	for _, c := range v {
		if unicode.IsControl(c) {
			return fmt.Sprintf("contains the control character %U, which line protocol cannot carry", c)
		}
	}
	return ""
}

// tagValueErrors returns one error per tag value of s that line protocol cannot carry.
func tagValueErrors(s *Station, key string) []error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		if why := tagValueProblem(s.Tags[k]); why != "" {
			errs = append(errs, fmt.Errorf("%s.tags.%s: value %q %s", key, k, s.Tags[k], why))
		}
	}
	return errs
}

// add validates s and adds it; it returns one error per problem, prefixed with its key.
func (r *Registry) add(s *Station, key string) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(format, args...)))
	}
	if s == nil {
		bad("id", "empty station entry")
		return errs
	}
	if !stationID.MatchString(s.ID) {
		bad("id", "%q must match [A-Za-z0-9_.-]{1,64}", s.ID)
	} else if r.byID[s.ID] != nil {
		bad("id", "duplicate station id %q", s.ID)
	}
	if !s.Kind.Valid() {
		bad("kind", "unknown kind %q (want air or wastewater)", s.Kind)
	}
	if s.Location.Lat < -90 || s.Location.Lat > 90 {
		bad("location.lat", "%v is not a latitude (-90..90)", s.Location.Lat)
	}
	if s.Location.Lon < -180 || s.Location.Lon > 180 {
		bad("location.lon", "%v is not a longitude (-180..180)", s.Location.Lon)
	}
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	} else if s.Interval < time.Second || s.Interval > 24*time.Hour {
		bad("interval", "%v out of range (1s..24h)", s.Interval)
	}
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
	if s.Country == "" {
		s.Country = r.country
	} else if !countryCode.MatchString(s.Country) {
		bad("country", "%q is not an ISO 3166 alpha-2 code (VN, TH, …) or EU", s.Country)
	}
	loc, err := r.location(s.Timezone)
	if err != nil {
		bad("timezone", "unknown time zone %q", s.Timezone)
	}
	s.loc = loc
	s.tagKeys = slices.Sorted(maps.Keys(s.Tags))
	for _, k := range s.tagKeys {
		if !tagKey.MatchString(k) || slices.Contains(reservedTags, k) {
			bad("tags."+k, "tag name must match [A-Za-z][A-Za-z0-9_]{0,63} and not be one of %v", reservedTags)
		}
	}
	for _, a := range s.AQI {
		if a != "vn" && a != "us" {
			bad("aqi", "unknown AQI scheme %q (want vn or us)", a)
		}
	}
	for name, v := range s.Coefficients {
		if v <= 0 || v > 10 {
			bad("coefficients."+name, "%v must be a positive factor", v)
		}
	}
	if s.Basis != "" && s.Basis != BasisSample && s.Basis != Basis1h {
		bad("basis", "unknown basis %q (want sample or 1h)", s.Basis)
	}
	for i, m := range s.Maintenance {
		if m.From.IsZero() || !m.Until.After(m.From) {
			bad(fmt.Sprintf("maintenance[%d]", i), "needs from and until, until after from")
		}
	}
	for i, l := range s.Limits {
		if l.Parameter == "" || (l.Max == nil && l.Min == nil) {
			bad(fmt.Sprintf("limits[%d]", i), "needs parameter and max or min")
		}
	}
	for _, a := range s.Aliases {
		if !stationID.MatchString(a) || (r.byID[a] != nil && r.byID[a] != s) {
			bad("aliases", "alias %q is not a valid id or is taken", a)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	r.stations = append(r.stations, s)
	r.byID[s.ID] = s
	for _, a := range s.Aliases {
		r.byID[a] = s
	}
	return nil
}

// location returns the named time zone, loaded once per registry: time.LoadLocation reads
// and parses the zone file on every call and returns a new copy each time.
func (r *Registry) location(name string) (*time.Location, error) {
	if loc, ok := r.zones[name]; ok {
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	r.zones[name] = loc
	return loc, nil
}
