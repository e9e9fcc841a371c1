// Package qc is quantrac's automatic data-quality checks: pure functions that read one
// station's valid readings and say which of them are not to be trusted, as spans of time.
//
//	readings of one parameter ──Checker.Series──> flat line, spike, sentinel spans
//	PM2.5 and PM10 readings   ──Checker.PMRatio──> pm_ratio spans (on PM2.5)
//	every parameter           ──Checker.Station──> all of the above, in a stable order
//
// The checks:
//
//   - flatline: a run of exactly the same value lasting at least the parameter's flat-line
//     duration (default 4 h) invalidates the whole run, back to its first reading. Values at
//     or below the parameter's detection floor never count as a flat line (a clean site reads
//     0 for hours), and the check is off for parameters that are legitimately steady (pH,
//     temperature, humidity, pressure, O2, wind direction, conductivity, TDS).
//   - spike: up to Settings.SpikeReadings consecutive readings that are all more than the
//     parameter's spike threshold above (or all below) both the reading before them and the
//     reading after them: a jump out and a jump back. Those readings are invalidated, not their
//     neighbours. A jump that stays (an episode) is not a spike.
//   - pm_ratio: PM2.5 above the PM10 of the same instant (the nearest PM10 reading less than
//     one station interval away) by more than Settings.PMRatioTolerance of PM10 plus
//     Settings.PMRatioMargin. The PM2.5 reading is invalidated.
//   - sentinel: values an analyser or datalogger writes for "no data" (-9999, 9999, 99999 and
//     Settings.Sentinels) that pass the plausible-range check.
//
// A span is a function of the readings only: the same readings in any order give the same
// spans, so a caller recomputes the spans of a window whenever a reading arrives, and a late
// reading that breaks a flat run shortens or removes its span. Nothing here reads a clock,
// stores anything or allocates more than a sorted copy of the input and the spans it returns.
package qc
