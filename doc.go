// Package quantrac holds the domain types every other package shares: a Reading, a Station
// and the station Registry.
//
//	MQTT broker ──> ingest (subscribe, decode, validate) ──> []Reading
//	                                                          ├──> store  (InfluxDB + spool)
//	                                                          └──> rules  (windows, limits, AQI)
//
// Nothing here does I/O except loading the registry file; nothing imports its consumers.
package quantrac
