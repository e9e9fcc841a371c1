// Package api serves quantrac's JSON API under /api/v1 (DESIGN §8), snake_case keys everywhere:
//
//	GET /api/v1/stations                          every station with its live state
//	GET /api/v1/stations/{id}                     one station, its limits and active violations
//	GET /api/v1/stations/{id}/series?parameter=P&period=24h|7d|30d&from=&to=
//	                                              hourly means of one parameter (DESIGN §7 hours)
//	GET /api/v1/violations?station=&active=&from=&to=
//	                                              active (rules engine) or recorded (InfluxDB) violations
//	GET /api/v1/reports/{yyyy-mm}?station=        the monthly compliance report (package report)
//
// Bad query parameters get 400 with a message, unknown stations 404. Live state comes from the
// rules engine through the small State interface; history from InfluxDB through package archive.
// The console renders the same documents as HTML.
package api
