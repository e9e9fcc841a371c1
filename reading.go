package quantrac

import "time"

// Kind is the kind of a station and the measurement its readings are written to.
type Kind string

// The station kinds (README.md, "Station registry").
const (
	Air        Kind = "air"
	Wastewater Kind = "wastewater"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Air || k == Wastewater }

// Instrument status codes of Circular 10/2021/TT-BTNMT (Art. 39): the datalogger reports one per
// record. Codes other than these are kept as given.
const (
	StatusMeasuring   = "00" // valid measurement
	StatusCalibrating = "01"
	StatusFault       = "02"
)

// Reading is one validated value of one parameter at one station, in the parameter's
// canonical unit, at the station's measurement time. Station and Param point at strings owned
// by the registry and the parameter catalog, so a Reading allocates nothing of its own.
type Reading struct {
	Station string    // registered station id
	Kind    Kind      // the station's kind
	Param   string    // canonical parameter id (pm25, cod, …)
	Value   float64   // in the parameter's canonical unit
	Time    time.Time // measurement time
	Status  string    // instrument status code; "00" is a valid measurement
	// Maintenance is set when Time falls inside one of the station's maintenance windows:
	// the reading is kept but flagged, and rules ignore it.
	Maintenance bool
}

// Valid reports whether the reading counts for rules and goes to the main measurement:
// status 00 and outside maintenance.
func (r *Reading) Valid() bool { return r.Status == StatusMeasuring && !r.Maintenance }

// Rejection says why a message, or some readings of it, was refused. The store keeps the
// message verbatim in InfluxDB measurement rejected_messages with it, so that it can be
// replayed once the cause is fixed (`quantrac replay`; README.md, "Payloads").
type Rejection struct {
	Reason string // machine-readable reason (malformed, unknown_station, out_of_range, …); "" for none
	Detail string // human-readable detail, stored as the error field
}
