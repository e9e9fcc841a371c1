// Package qcview keeps the data-quality spans in force (InfluxDB measurement qc_spans,
// README "Data quality") in memory, and gives the rules engine and the air-quality index the
// valid readings only.
//
//	qc_spans (InfluxDB) ──Refresh (at start, then every few seconds)──┐
//	a span this process writes ──Apply────────────────────────────────┤
//	                                                                  ▼
//	                                         View: the active spans of each station
//	                                                  │        └─> Changed(station, from): the
//	                                                  │            station is re-judged from then
//	                                                  ▼
//	store.History ──> History (rules.History): readings, newest points and hourly aggregates
//	                  without the invalid readings (an aggregate a span touches is recomputed
//	                  from its stored readings) ──> rules.Engine, AQI trackers
//
// The raw layer is untouched: invalid readings stay in InfluxDB as they came; they count in no
// average, verdict, index or data capture (capture counts them as missing).
package qcview
