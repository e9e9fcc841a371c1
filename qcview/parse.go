package qcview

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
)

// parseSpan reads one row of SELECT * FROM qc_spans (tags as columns; times of from, to,
// created_at and revoked_at as RFC 3339 strings, the point's time being created_at). A row
// without an id, a station or an extent is not a span.
func parseSpan(cols []string, row []any) (quantrac.QCSpan, bool) {
	var s quantrac.QCSpan
	for i, c := range cols {
		if i >= len(row) {
			break
		}
		str, _ := row[i].(string)
		switch c {
		case "station":
			s.Station = str
		case "parameter":
			s.Parameter = str
		case "source":
			s.Source = str
		case "id":
			s.ID = str
		case "action":
			s.Action = str
		case "reason":
			s.Reason = str
		case "user":
			s.User = str
		case "revoked_by":
			s.RevokedBy = str
		case "from":
			s.From = parseTime(str)
		case "to":
			s.To = parseTime(str)
		case "created_at":
			s.CreatedAt = parseTime(str)
		case "revoked_at":
			s.RevokedAt = parseTime(str)
		}
	}
	if s.CreatedAt.IsZero() && len(row) > 0 {
		if ns, ok := row[0].(json.Number); ok {
			if n, err := ns.Int64(); err == nil {
				s.CreatedAt = time.Unix(0, n)
			}
		}
	}
	ok := s.ID != "" && s.Station != "" && s.Parameter != "" && !s.From.IsZero() && !s.To.Before(s.From) &&
		(s.Action == quantrac.QCInvalidate || s.Action == quantrac.QCValidate)
	return s, ok
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// number returns row[i] as an int64 when it is a number.
func number(row []any, i int) (int64, bool) {
	if i >= len(row) {
		return 0, false
	}
	n, ok := row[i].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

// stationRegexp is an InfluxQL regular expression matching exactly the given station ids.
func stationRegexp(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strings.ReplaceAll(regexp.QuoteMeta(id), "/", `\/`)
	}
	return "/^(?:" + strings.Join(q, "|") + ")$/"
}

// floatOf returns a result cell as a float64 when it is a number.
func floatOf(x any) (float64, bool) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
