package testenv

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Series is one series of an InfluxQL result, as /query returns it. Numbers are float64,
// times RFC 3339 strings, missing values nil.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"` // the GROUP BY tags
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Rows returns the values as one map per row, keyed by column.
func (s Series) Rows() []map[string]any {
	rows := make([]map[string]any, len(s.Values))
	for i, v := range s.Values {
		rows[i] = make(map[string]any, len(s.Columns))
		for j, c := range s.Columns {
			if j < len(v) {
				rows[i][c] = v[j]
			}
		}
	}
	return rows
}

// queryResponse is the body of /query.
type queryResponse struct {
	Results []struct {
		Series []Series `json:"series"`
		Error  string   `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

// Query runs InfluxQL statements (any: SELECT, SHOW, CREATE...) against database db ("" for
// none) with POST /query, and returns the series of all statements' results. An error of the
// request or of any statement fails the test.
func (in *Influx) Query(db, influxql string) []Series {
	in.tb.Helper()
	form := url.Values{"q": {influxql}}
	if db != "" {
		form.Set("db", db)
	}
	req, err := http.NewRequest(http.MethodPost, in.url+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		in.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if in.user != "" {
		req.SetBasicAuth(in.user, in.password)
	}
	body, status := in.do(req)
	var r queryResponse
	if err := json.Unmarshal(body, &r); err != nil || status != http.StatusOK {
		in.tb.Fatalf("testenv: influx query %q: HTTP %d: %s", influxql, status, body)
	}
	if r.Error != "" {
		in.tb.Fatalf("testenv: influx query %q: %s", influxql, r.Error)
	}
	var series []Series
	for _, res := range r.Results {
		if res.Error != "" {
			in.tb.Fatalf("testenv: influx query %q: %s", influxql, res.Error)
		}
		series = append(series, res.Series...)
	}
	return series
}

// Count runs a query such as `SELECT count("pm25") FROM "air"` and returns its number: the
// first value after the time column in the first row of each series, summed over the series
// (so a GROUP BY query counts them all). No series (nothing stored yet) is 0.
func (in *Influx) Count(db, influxql string) int {
	in.tb.Helper()
	total := 0
	for _, s := range in.Query(db, influxql) {
		col := 0
		if len(s.Columns) > 1 && s.Columns[0] == "time" {
			col = 1
		}
		if len(s.Values) == 0 || len(s.Values[0]) <= col || s.Values[0][col] == nil {
			continue
		}
		n, ok := s.Values[0][col].(float64)
		if !ok {
			in.tb.Fatalf("testenv: influx count %q: column %q is %T %v, not a number",
				influxql, s.Columns[col], s.Values[0][col], s.Values[0][col])
		}
		total += int(n)
	}
	return total
}
