// Package param is quantrac's parameter catalog: the canonical id, name, unit, plausible
// physical range and molar mass of every parameter a station may report, the aliases the
// parameter is known by (PM2.5, PM2,5, NH4+, Nhiệt độ, the Circular 10/2021 symbols, …) and
// the conversion of values between units.
//
//	"PM2,5"  ──Lookup──> *Parameter{ID: "pm25", Unit: "µg/m³", Min: 0, Max: 10000}
//	12 "ppb" ──(*Parameter).ToCanonical──> 31.44 µg/m³   (so2, 25 °C, 1 atm)
//
// The catalog is immutable data built once; every function is safe for concurrent use.
// Lookup allocates nothing when the name is a canonical id or an alias spelled exactly as
// listed, because decoders call it for every reading.
package param
