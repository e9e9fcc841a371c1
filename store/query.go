package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Querier runs InfluxQL queries over InfluxDB's /query endpoint, which InfluxDB 1.x, 2.x
// (through its DBRP mapping) and 3.x all serve.
type Querier struct {
	base   string
	db, rp string
	token  string
	client *http.Client
}

// NewQuerier builds a Querier for the bucket ("db/rp" or a 2.x bucket name) of a Writer's
// configuration; it does no I/O.
func NewQuerier(o WriterOptions, client *http.Client) *Querier {
	db, rp, _ := strings.Cut(o.Bucket, "/")
	if client == nil {
		client = &http.Client{Timeout: max(o.Timeout, 30*time.Second)}
	}
	return &Querier{base: strings.TrimRight(o.URL, "/"), db: db, rp: rp, token: o.Token, client: client}
}

// Series is one series of a query result.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Query runs one InfluxQL statement and returns its series. Times come back as RFC 3339.
func (q *Querier) Query(ctx context.Context, influxql string) ([]Series, error) {
	v := url.Values{"db": {q.db}, "q": {influxql}, "epoch": {"ns"}}
	if q.rp != "" {
		v.Set("rp", q.rp)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.base+"/query", strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user, pass, ok := strings.Cut(q.token, ":"); ok {
		req.SetBasicAuth(user, pass) // InfluxDB 1.8: "user:password"
	} else if q.token != "" {
		req.Header.Set("Authorization", "Token "+q.token)
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, err
	}
	var out struct {
		Results []struct {
			Series []Series `json:"series"`
			Error  string   `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep nanosecond timestamps exact
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("influxdb query: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if out.Error != "" {
		return nil, fmt.Errorf("influxdb query: %s", out.Error)
	}
	var series []Series
	for _, r := range out.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("influxdb query: %s", r.Error)
		}
		series = append(series, r.Series...)
	}
	return series, nil
}

// QuoteString quotes s as an InfluxQL string literal.
func QuoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
