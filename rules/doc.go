// Package rules knows the regulations: a catalog of cited, versioned limits (one embedded
// YAML file per regulation, plus extra files and station permits), and an engine that
// evaluates readings against them in event time.
//
//	catalog/*.yaml ─┐
//	extra files ────┼─> LoadCatalog ─> *Catalog
//	station permits ┘                     │
//	                                      ▼
//	[]quantrac.Reading ─> Engine.Observe: per station × parameter, a ring of one slot per
//	                      station interval (and daily buckets for 1y); per limit a rolling
//	                      window ending at the newest reading: statistic, data capture,
//	                      limit in force at the window end, ratio
//	                          │
//	                          ├─> step (the alert state machine) ─> []Transition ─> InfluxDB violations
//	                          ├─> exceedance counts per calendar hour/day and year
//	                          └─> Engine.Exporter (text exposition at scrape) ─> /metrics
//
// The engine never reads the clock for its verdicts: windows are placed by the readings' own
// timestamps, and the clock given to NewEngine only decides station liveness and which
// calendar year's exceedances are shown. After a restart, Rebuild replays stored readings so
// that violations in progress are reported again. rules/README.md describes the catalog
// format and the evaluation for users.
package rules
