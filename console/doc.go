// Package console serves quantrac's read-only web console (DESIGN §8) for inspectors without a
// Grafana stack: server-rendered HTML pages with SVG maps and charts, a few lines of script,
// every asset embedded in the binary (no CDN, no external font; it works offline and, for the
// report, with JavaScript off).
//
//	/                      map of stations coloured by state and AQI category, station table
//	/stations/{id}         live limits, active violations with evidence, hourly means for
//	                       24 h / 7 d / 30 d against every limit in force, data capture,
//	                       recorded violations, maintenance windows
//	/violations            active or recorded violations with filters
//	/reports/{yyyy-mm}     the monthly compliance report (…/2026-11.csv for CSV; ?station=)
//	/assets/…              style sheet, script, country outline
//
// Pages are built from the JSON API's documents (package api). Labels are Vietnamese or
// English (?lang=vi|en; package i18n for the default). The console runs on the same listener
// and web config (TLS, basic auth) as /metrics: httpapi mounts it.
package console
