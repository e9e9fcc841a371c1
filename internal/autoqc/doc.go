// Package autoqc runs the automatic data-quality checks of package qc in the daemon, on the
// stations whose readings arrive, and keeps their automatic spans in InfluxDB measurement
// qc_spans in step with the readings.
//
//	pipeline ──Observe──> window per station: each parameter's readings of the longest
//	   │                  flat-line duration + a margin (a run of equal values that began
//	   │                  earlier keeps its first reading), the station queued
//	   ▼
//	Run, every few seconds, for each queued station:
//	   window lacks readings (a restart, a late reading older than it, a flat line that began
//	   before it) ──> read them back from InfluxDB (store.History)
//	   qc.Checker.Station(window) ──> spans found
//	   stored automatic spans (read once, then kept) ──Reconcile──> write new and grown spans,
//	                                                              revoke the broken ones
//	   trim the window
//
// A span found again is the same span: its id is derived from station, parameter, check and
// start, and a run that goes on rewrites its span in place. A late reading that breaks a run
// revokes the span (revoked_by "auto") and writes the shorter runs that still qualify as new
// spans. Spans the window cannot see whole (they start before it) are left as they are.
//
// After a restart windows start empty and are read back from InfluxDB when their station's
// next reading arrives, so the restart costs one query per station spread over a reporting
// interval, and no reading is missed: the readings of a station's last seconds before a
// crash are checked with its next message. A station that never reports again keeps the
// spans it had.
package autoqc
