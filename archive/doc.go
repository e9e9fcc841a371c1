// Package archive reads what quantrac stored in InfluxDB back for people (README.md, "InfluxDB
// schema"): a station's clock hours with their valid, excluded and flagged readings; the
// violations measurement with its evidence; the latest air-quality index. The JSON API, the
// console and the monthly report read through it.
//
//	InfluxDB ──InfluxQL──> archive ──> api (/api/v1), console (/), report (/reports, quantrac report)
//
// Hours are those of the rules (rules/README.md, "Evaluation"): clock hours of the station's
// local time, labelled by their end, an hour covering (end−1h, end], so a reading stamped 01:00
// belongs to the hour ending 01:00. In InfluxQL that is GROUP BY time(1h, offset) with offset =
// the zone's shift from whole UTC hours plus 1ns (see [HourClause]); each bucket's start plus
// 1h minus 1ns is the hour's end.
//
// An hour expects 1 h ÷ interval readings (12 at the default 5 minutes). Readings in
// calibration (status 01) or in a registry maintenance window are stored in <kind>_flagged with
// <param>_status "01" or "maintenance": they are excluded from the readings expected. Readings
// with another status (02 device fault, …) stay expected and are not valid. An hour is valid
// when its valid readings are at least 75 % of its expected readings; an hour whose readings
// were all excluded expects none and is excluded.
//
// Every function's doc gives the InfluxQL it runs, so that each number shown can be recomputed.
package archive
