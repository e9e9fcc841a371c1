// Package rules knows the regulations: a catalog of cited, versioned limits (one embedded
// YAML file per regulation, plus extra files and station permits, with the source key table
// beside them), and an engine that judges readings against them with the averages the
// regulations define, in event time.
//
//	catalog/*.yaml ─┐
//	extra files ────┼─> LoadCatalog ─> *Catalog ─> Check (stations × catalog)
//	station permits ┘                     │
//	                                      ▼
//	[]quantrac.Reading ─> Engine.Observe: per station × parameter, the last 32 clock hours
//	                      (sum and reading slots, labelled by their end: HourEnd) and, per
//	                      limit, yearly running figures; sample limits judge each reading
//	                          │
//	                          │  the station's newest reading closes hours, running 8-h
//	                          │  means, calendar days, years; late readings re-open theirs
//	                          ▼
//	                      judge: data capture, limit in force, reference conditions, ratio,
//	                      exceedance forms ─> step (the alert state machine)
//	                          │
//	                          ├─> []Transition (with evidence) ─> InfluxDB violations
//	                          └─> Engine.Exporter (text exposition at scrape: latest closed
//	                              and provisional periods) ─> /metrics
//
//	History (InfluxDB) ─> Engine.Rebuild / RebuildStations: hourly aggregates, one query per
//	                      measurement, and the newest stored transition of each limit
//
// The engine never reads the clock for its verdicts: periods close by the readings' own
// timestamps, and the clock given to NewEngine only decides station liveness. Stations are
// unknown (nothing judged or exported) until a rebuild restores them. rules/README.md
// describes the catalog format, the evaluation and each decision the regulations leave open.
package rules
