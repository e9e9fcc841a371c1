// Package report builds the monthly compliance report (README, "The monthly compliance
// report") from what InfluxDB holds: per station and parameter the valid hours and days
// against those expected (the data capture the ministry asks for), per limit the violations
// against the allowance, every violation with its evidence, and per province the indicators
// its plan is measured by. It renders the report as printable HTML (one station a page), CSV
// and JSON.
//
// Conclusions follow the force of each limit for the station (rules/README.md, "Force and
// words"): a station's verdict and the province indicators consider its binding limits only —
// its national standards and its permit. Reference limits (WHO 2021, another country's
// standard) are listed apart, under "Ngưỡng tham chiếu (không dùng để kết luận)", and their
// exceedances read "Vượt ngưỡng tham chiếu <regulation>"; a standard's read "Vượt quy chuẩn",
// a permit's "Vượt giới hạn cho phép". Nothing automatic is called a violation: only an
// inspection finds one.
//
//	archive.Hours (less invalid readings) ──> Capture per parameter   ┐
//	archive.Violations, InForceAt ──> Exceedance per limit            ├─> Report ──> HTML, CSV, JSON
//	StationLimits (catalog + permit) ─┘   engine counts (current month)┤
//	QC (qc_spans, approvals) ──> approvals, spans marked after approval┘
//
// Definitions (package archive for hours):
//   - an hour is valid with ≥ 75 % of its expected readings; readings in calibration (status
//     01) or maintenance are not expected; an hour made only of them is excluded;
//   - a day (local calendar day, hours ending 01:00 … 24:00) is valid with ≥ 18 valid hours
//     (rules/README.md, "Evaluation": the 24-h mean needs 18 hourly means); a day with fewer than 18 hours left
//     after excluded hours could never be valid and is excluded from the days expected;
//   - data capture = valid ÷ expected, in percent;
//   - a reading a QC span makes invalid counts in no number, as missing; each parameter counts
//     them by who invalidated them (automatic check or inspector);
//   - an approved month (README "Data quality") names its approver and marks the spans created
//     or revoked after the approval; readings carry no arrival time, so they are not marked.
//
// Every number comes from InfluxDB: the report lists the InfluxQL statements that give them.
package report
