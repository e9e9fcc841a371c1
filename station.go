package quantrac

import (
	"slices"
	"time"
)

// Station is one monitoring station of the registry (README.md, "Station registry").
type Station struct {
	ID       string            `yaml:"id"`
	Name     string            `yaml:"name"`
	Kind     Kind              `yaml:"kind"`
	Location Location          `yaml:"location"`
	Tags     map[string]string `yaml:"tags"`
	Interval time.Duration     `yaml:"interval"`
	Timezone string            `yaml:"timezone"`
	// Country is where the station is (ISO 3166 alpha-2, or EU): a binding regulation binds
	// the stations of its own country only, and is a reference elsewhere. Default: the
	// registry's country.
	Country      string             `yaml:"country"`
	Regulations  []string           `yaml:"regulations"`
	AQI          []string           `yaml:"aqi"`
	Coefficients map[string]float64 `yaml:"coefficients"`
	// Basis is what the station's per-sample limits (QCVN 40:2011, QCVN 14:2008, permit
	// limits) are compared with: every valid reading (BasisSample, the default) or hourly
	// means (Basis1h).
	Basis       string        `yaml:"basis"`
	Limits      []PermitLimit `yaml:"limits"`
	Maintenance []Maintenance `yaml:"maintenance"`
	// Aliases are other names the station is known by, e.g. the station part of its
	// Circular 10/2021 data file names.
	Aliases []string `yaml:"aliases"`
	// Topics, when set, is the allow-list of MQTT topic filters the station may publish on.
	Topics []string `yaml:"topics"`

	loc     *time.Location
	tagKeys []string // sorted keys of Tags
}

// Location is a station's position in WGS 84 degrees.
type Location struct {
	Lat float64 `yaml:"lat"`
	Lon float64 `yaml:"lon"`
}

// PermitLimit is a limit from a station's own discharge permit; rules evaluate it as
// regulation "permit".
type PermitLimit struct {
	Parameter string   `yaml:"parameter"`
	Max       *float64 `yaml:"max"`
	Min       *float64 `yaml:"min"`
	Unit      string   `yaml:"unit"`
	Period    string   `yaml:"period"` // empty: sample, the limit holds for every reading
	Statistic string   `yaml:"statistic"`
}

// Maintenance is a time span during which the station's readings are flagged and its alerts
// suppressed.
type Maintenance struct {
	From   time.Time `yaml:"from"`
	Until  time.Time `yaml:"until"`
	Reason string    `yaml:"reason"`
}

// Station bases (README.md, "Station registry").
const (
	BasisSample = "sample"
	Basis1h     = "1h"
)

// DefaultInterval is the reporting interval of a station that states none: the 5-minute
// records of Circular 10/2021/TT-BTNMT.
const DefaultInterval = 5 * time.Minute

// DefaultCountry is the country of a registry that states none.
const DefaultCountry = "VN"

// DefaultTimezone is the zone of payloads with local times when a station states none.
const DefaultTimezone = "Asia/Ho_Chi_Minh"

// TimeLocation returns the station's time zone, used for payloads with local times.
func (s *Station) TimeLocation() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// TagKeys returns the keys of the station's registry tags in sorted order.
func (s *Station) TagKeys() []string { return s.tagKeys }

// InMaintenance reports whether t falls inside one of the station's maintenance windows.
func (s *Station) InMaintenance(t time.Time) bool {
	for _, m := range s.Maintenance {
		if !t.Before(m.From) && t.Before(m.Until) {
			return true
		}
	}
	return false
}

// Coefficient returns the named coefficient (kq, kf, k), 1 when the station sets none.
func (s *Station) Coefficient(name string) float64 {
	if v, ok := s.Coefficients[name]; ok {
		return v
	}
	return 1
}

// HasRegulation reports whether the station asked for the given catalog regulation id.
func (s *Station) HasRegulation(id string) bool { return slices.Contains(s.Regulations, id) }
