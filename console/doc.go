// Package console serves quantrac's web console for inspectors without a Grafana stack (README,
// the console): server-rendered HTML pages with SVG maps and charts, a few lines of script,
// every asset embedded in the binary (no CDN, no external font; it works offline and, for the
// report, with JavaScript off). It is read-only but for the data-quality actions of editors.
//
//	/                      map of stations coloured by state and AQI category, station table
//	/stations/{id}         live limits, active violations with evidence, hourly means for
//	                       24 h / 7 d / 30 d against every limit in force, data capture,
//	                       recorded violations, maintenance windows, the QC spans of the
//	                       shown range shaded on the charts and listed (audit)
//	/violations            active or recorded violations with filters
//	/reports/{yyyy-mm}     the monthly compliance report (…/2026-11.csv for CSV; ?station=)
//	/assets/…              style sheet, script, country outline
//
// An editor (Options.Editors, a user the web config authenticated) gets the span form, the
// revoke buttons and the report's approve button; console.js sends them as JSON to the API,
// which checks each write itself. Nobody else gets a write control.
//
// A station's state and the counts of exceedances in progress consider its binding limits
// only (rules/README.md, "Force and words"): a station that only passes a reference level
// (WHO) is "above_reference", drawn outlined rather than red, and its page lists those
// exceedances apart. Each exceedance reads as its force says: "Vượt quy chuẩn", "Vượt giới
// hạn cho phép" (the station's permit) or "Vượt ngưỡng tham chiếu <regulation>" (i18n.Words).
//
// Pages are built from the JSON API's documents (package api). Labels are Vietnamese or
// English (?lang=vi|en; package i18n for the default). The console runs on the same listener
// and web config (TLS, basic auth) as /metrics: httpapi mounts it.
package console
