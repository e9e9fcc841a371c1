// Package rules knows the regulations: a catalog of cited, versioned limits (one embedded
// YAML file per regulation, plus extra files and station permits, with the source key table
// beside them), and an engine that judges readings against them with the averages the
// regulations define, in event time.
//
//	catalog/*.yaml ─┐
//	extra files ────┼─> LoadCatalog ─> *Catalog ─> Check (stations × catalog)
//	station permits ┘                     │
//	                                      ▼
//	[]quantrac.Reading ─> Engine.Observe (in time order): per station × parameter, the last 32
//	                      clock hours (count, sum and capture slots of the readings, a point per
//	                      timestamp; labelled by their end: HourEnd) and, per limit, yearly
//	                      running figures; sample limits judge each reading
//	                          │
//	                          │  the station's newest reading closes hours, running 8-h means,
//	                          │  days, years; Engine.Tick closes a silent station's by the wall
//	                          │  clock; a reading that would change a closed period (late,
//	                          │  reordered, backfilled, quarantined) marks the station stale
//	                          ▼
//	                      judge: data capture, limit in force, reference conditions, ratio,
//	                      exceedance forms, US design values ─> step (the alert state machine)
//	                          │
//	                          ├─> []Transition (with evidence) ─> InfluxDB violations
//	                          └─> Engine.Exporter (text exposition at scrape: latest closed
//	                              and provisional periods) ─> /metrics
//
//	History (InfluxDB) ─> Engine.Rebuild: hourly aggregates, one query per measurement, and the
//	                      newest stored transition of each limit
//	                  ─> Engine.RebuildStations of a stale station: its stored readings replayed
//	                      through the same code from the start of the first changed day, the
//	                      record reconciled (Engine.Drain: rewritten and withdrawn points)
//
// Verdicts are a view of the stored readings: the engine never reads the clock for them but
// through Tick (a silent station's periods), and the clock given to NewEngine decides station
// liveness. Stations are
// unknown (nothing judged or exported) until a rebuild restores them. rules/README.md
// describes the catalog format, the evaluation and each decision the regulations leave open.
package rules
