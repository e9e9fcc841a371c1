package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// csvHeader is the CSV's columns. Each row has a section: province (one indicator, with the
// stations met, not met and with insufficient data, or for the network's capture the stations
// counted), station (with approval approved or not_approved, the approving user and created_at,
// and spans_after_approval), approval (one approval of the month: approval active or
// withdrawn), capture (one parameter, with the readings spans made invalid, by whom), limit
// (one limit, with its parameter's invalid readings), violation (one start or end with its
// evidence) or qc_span (one span of the month, with whether it was created or revoked after
// the approval); columns that do not apply to a section are empty. Limit and violation rows
// carry the limit's force for the station, binding or reference (rules/README.md, "Force and
// words"): only binding limits enter the verdict.
// utf8BOM is the UTF-8 byte-order mark a CSV starts with.
const utf8BOM = "\ufeff"

var csvHeader = []string{"month", "section", "province", "station", "station_name", "parameter", "unit",
	"regulation", "period", "hours", "expected_hours", "valid_hours", "excluded_hours", "hour_capture_percent",
	"days", "expected_days", "valid_days", "excluded_days", "day_capture_percent",
	"readings_expected", "readings_valid", "readings_excluded", "readings_flagged",
	"limit_min", "limit_max", "violations_started", "in_force_at_start", "allowed_per_year", "exceedances_year_to_date",
	"state", "value", "limit", "ratio", "coverage", "count", "window_start", "window_end", "version",
	"verdict", "indicator", "percent", "met", "not_met", "insufficient_data", "stations",
	"readings_invalid", "readings_invalid_auto", "readings_invalid_user",
	"approval", "id", "user", "created_at", "withdrawn_by", "withdrawn_at",
	"source", "action", "from", "to", "reason", "revoked_by", "revoked_at",
	"spans_after_approval", "created_after_approval", "revoked_after_approval", "force"}

// WriteCSV writes the report as CSV (RFC 4180, UTF-8 with a byte-order mark, decimal points,
// times RFC 3339 UTC). The mark is how Excel knows the file is UTF-8: without it every
// Vietnamese name is garbled. A text cell a spreadsheet would take for a formula starts with
// an apostrophe (cell).
func (r *Report) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	row := func(section string, set map[string]string) {
		rec := make([]string, len(csvHeader))
		rec[0], rec[1] = r.Month, section
		for i, h := range csvHeader {
			if v, ok := set[h]; ok {
				rec[i] = cell(v)
			}
		}
		_ = cw.Write(rec)
	}
	for _, p := range r.Provinces {
		for _, ind := range []struct {
			name string
			i    Indicator
		}{{"wastewater_within_limits", p.Wastewater}, {"air_within_qcvn_05_2023", p.Air}} {
			row("province", map[string]string{"province": p.Name, "indicator": ind.name, "percent": pct(ind.i.Percent),
				"met": strings.Join(ind.i.Met, ";"), "not_met": strings.Join(ind.i.NotMet, ";"),
				"insufficient_data": strings.Join(ind.i.Insufficient, ";")})
		}
		row("province", map[string]string{"province": p.Name, "indicator": "network_capture", "percent": pct(p.Capture),
			"expected_hours": itoa(p.ExpectedHours), "valid_hours": itoa(p.ValidHours), "stations": strings.Join(p.Stations, ";")})
	}
	for i := range r.Stations {
		s := &r.Stations[i]
		base := func() map[string]string {
			return map[string]string{"province": s.Province, "station": s.ID, "station_name": s.Name}
		}
		m := base()
		m["verdict"] = s.Verdict
		m["approval"], m["spans_after_approval"] = "not_approved", itoa(s.SpansAfterApproval)
		if a := s.Approved; a != nil {
			m["approval"], m["id"], m["user"], m["created_at"] = "approved", a.ID, a.User, rfc3339(a.CreatedAt)
		}
		row("station", m)
		for _, a := range s.Approvals {
			row("approval", withAll(base(), approvalCells(&a)))
		}
		for _, c := range s.Parameters {
			m := base()
			for k, v := range map[string]string{"parameter": c.Parameter, "unit": c.Unit, "hours": itoa(c.Hours),
				"expected_hours": itoa(c.ExpectedHours), "valid_hours": itoa(c.ValidHours), "excluded_hours": itoa(c.ExcludedHours),
				"hour_capture_percent": pct(c.HourCapture), "days": itoa(c.Days), "expected_days": itoa(c.ExpectedDays),
				"valid_days": itoa(c.ValidDays), "excluded_days": itoa(c.ExcludedDays), "day_capture_percent": pct(c.DayCapture),
				"readings_expected": itoa(c.ReadingsExpected), "readings_valid": itoa(c.ReadingsValid),
				"readings_excluded": itoa(c.ReadingsExcluded), "readings_flagged": itoa(c.ReadingsFlagged)} {
				m[k] = v
			}
			row("capture", withAll(m, invalidCells(&c)))
		}
		for _, e := range s.Limits {
			m := base()
			for k, v := range map[string]string{"parameter": e.Parameter, "unit": e.Unit, "regulation": e.Regulation, "force": e.Force,
				"period": e.Period, "limit_min": optNum(e.Min), "limit_max": optNum(e.Max), "violations_started": itoa(e.Started),
				"in_force_at_start": strconv.FormatBool(e.InForceAtStart), "allowed_per_year": itoa(e.Allowed)} {
				m[k] = v
			}
			if e.YearToDate != nil {
				m["exceedances_year_to_date"] = itoa(*e.YearToDate)
			}
			if c := s.capture(e.Parameter); c != nil {
				withAll(m, invalidCells(c))
			}
			row("limit", m)
		}
		for _, t := range s.Violations {
			m := base()
			for k, v := range map[string]string{"parameter": t.Parameter, "regulation": t.Regulation, "period": t.Period, "force": t.Force,
				"state": t.State, "value": num(t.Value), "limit": num(t.Limit), "ratio": num(t.Ratio), "coverage": num(t.Coverage),
				"count": itoa(t.Count), "window_start": t.WindowStart.UTC().Format(time.RFC3339),
				"window_end": t.WindowEnd.UTC().Format(time.RFC3339), "version": t.Version} {
				m[k] = v
			}
			row("violation", m)
		}
		for _, sp := range s.QCSpans {
			row("qc_span", withAll(base(), spanCells(&sp)))
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell returns v as a CSV cell: text beginning with = + - @, a tab or a carriage return gets a
// leading apostrophe, so that a spreadsheet shows it rather than running it as a formula
// (OWASP, CSV injection); a number (-2.5) stays as it is.
func cell(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) || isNumber(v) {
		return v
	}
	return "'" + v
}

// isNumber reports whether v is a decimal number as itoa, pct and num write them.
func isNumber(v string) bool {
	digits := strings.TrimLeft(v, "+-")
	if len(v)-len(digits) > 1 {
		return false
	}
	whole, frac, _ := strings.Cut(digits, ".")
	return whole != "" && strings.Trim(whole, "0123456789") == "" && strings.Trim(frac, "0123456789") == ""
}

func itoa(n int) string { return strconv.Itoa(n) }

// pct formats a percentage with one decimal.
func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// num formats a value with at most 4 decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}

func optNum(p *float64) string {
	if p == nil {
		return ""
	}
	return num(*p)
}
