// Package sim is the value model of stationsim, quantrac's station simulator: which stations
// exist, what they measure and what they report at a given time.
//
//	Stations(n, seed) ──> []*quantrac.Station ──> RegistryYAML (for -print-registry)
//	                            │
//	Model{Seed, Violate, Bad, …}.Message(station, k, t) ──> Message ──> payload encoders
//	    │                                                              (internal/sim/payload)
//	    ├─ Value(station, param, t): diurnal profile × station level × smooth noise
//	    ├─ EpisodeAt(station, t):    violation episodes, 1.5–3× the regulation's limit
//	    └─ bad kind, calibrating status, unit variants, all from seeded hashes
//
// Everything here is a pure function of (seed, station, parameter, time): no hidden RNG state,
// so tests can predict any value and two runs with the same seed produce the same data. Values
// are in each parameter's canonical unit and rounded to the resolution an analyser reports.
package sim
