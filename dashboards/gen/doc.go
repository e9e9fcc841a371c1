// Command gen writes quantrac's Grafana dashboards as JSON, built with the Grafana Foundation
// SDK, and checks that the committed JSON is what it would write.
//
//	go run ./gen                 # from dashboards/: (re)write json/*.json
//	go run ./gen -check          # exit 1, naming the files, when json/ is stale
//
//	rules/catalog/*.yaml ──> limits (thresholds drawn on the reading panels)
//	                                  │
//	datasources, variables ──> overview, air, wastewater, ingester ──> json/quantrac-*.json
//
// The dashboards read two datasources that deploy/grafana/provisioning creates with fixed
// uids: InfluxDB queried with InfluxQL (readings, violations, AQI history) and Prometheus
// (quantrac's /metrics: current limit state, liveness, ingester health). Every query, with
// Grafana's macros and template variables substituted, is run against real stores by
// internal/e2e/dashboards_test.go.
package main
