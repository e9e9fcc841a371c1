package store

import (
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
		var err error
		if client, err = o.HTTPClient(); err != nil {
			// A bad TLS file was reported when the writer was built; queries then fail
			// with a plain client rather than not at all.
			client = &http.Client{Timeout: max(o.Timeout, 30*time.Second)}
		}
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

// Query runs one InfluxQL statement and returns its series. Times are Unix nanoseconds
// (json.Number).
func (q *Querier) Query(ctx context.Context, influxql string) ([]Series, error) {
	var series []Series
	err := q.QueryEach(ctx, influxql, func(s Series) error {
		series = append(series, s)
		return nil
	})
	return series, err
}

// QueryEach runs one InfluxQL statement with a chunked response and calls fn for each chunk
// of each series as it arrives, so that large results need bounded memory.
func (q *Querier) QueryEach(ctx context.Context, influxql string, fn func(Series) error) error {
	v := url.Values{"db": {q.db}, "q": {influxql}, "epoch": {"ns"}, "chunked": {"true"}, "chunk_size": {"10000"}}
	if q.rp != "" {
		v.Set("rp", q.rp)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.base+"/query", strings.NewReader(v.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user, pass, ok := strings.Cut(q.token, ":"); ok {
		req.SetBasicAuth(user, pass) // InfluxDB 1.8: "user:password"
	} else if q.token != "" {
		req.Header.Set("Authorization", "Token "+q.token)
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("influxdb query: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber() // keep nanosecond timestamps exact
	for {
		var chunk struct {
			Results []struct {
				Series []Series `json:"series"`
				Error  string   `json:"error"`
			} `json:"results"`
			Error string `json:"error"`
		}
		if err := dec.Decode(&chunk); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("influxdb query: %w", err)
		}
		if chunk.Error != "" {
			return fmt.Errorf("influxdb query: %s", chunk.Error)
		}
		for _, r := range chunk.Results {
			if r.Error != "" {
				return fmt.Errorf("influxdb query: %s", r.Error)
			}
			for _, s := range r.Series {
				if err := fn(s); err != nil {
					return err
				}
			}
		}
	}
}

// QuoteString quotes s as an InfluxQL string literal.
func QuoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
