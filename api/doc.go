// Package api serves quantrac's JSON API under /api/v1 (README.md, "JSON API"), snake_case keys
// everywhere:
//
//	GET /api/v1/stations                          every station with its live state
//	GET /api/v1/stations/{id}                     one station, its limits and active violations
//	GET /api/v1/stations/{id}/series?parameter=P&period=24h|7d|30d&from=&to=
//	                                              hourly means of one parameter (rules/README.md hours)
//	GET /api/v1/violations?station=&active=&from=&to=
//	                                              active (rules engine) or recorded (InfluxDB) violations
//	GET /api/v1/reports/{yyyy-mm}?station=        the monthly compliance report (package report)
//	GET /api/v1/qc?station=&from=&to=             QC spans, automatic and manual, active and revoked
//	POST /api/v1/qc, DELETE /api/v1/qc/{id}       an editor invalidates or validates readings, revokes a span
//	GET /api/v1/approvals?month=&station=         approved months
//	POST /api/v1/approvals, DELETE /api/v1/approvals/{id}
//	                                              an editor approves a station's month, withdraws an approval
//
// Writes pass authorize.go first: basic auth configured, a user in web.editors, a JSON body,
// no cross-site Origin (docs/data-quality.md); each is logged with its user.
//
// Bad query parameters get 400 with a message, unknown stations 404. Live state comes from the
// rules engine through the small State interface; history from InfluxDB through package archive.
// The console renders the same documents as HTML.
package api
