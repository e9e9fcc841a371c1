// Package qcclient is a client of quantrac's data-quality API (docs/data-quality.md), for
// `quantrac qc`: it sends the requests an inspector's command asks for, with the user's basic
// auth credentials, and returns the server's answer or its error message.
//
//	quantrac qc invalidate ... ──> Client.AddSpan ──> POST /api/v1/qc (JSON) ──> 201 span
//	                                                                         └─> 4xx/5xx: *Error, the server's message
package qcclient

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/tlsfiles"
)

// Client sends requests to one quantrac. The zero Timeout waits 30 s.
type Client struct {
	URL            string // e.g. https://quantrac.example:9786
	User, Password string // basic auth; no User: none
	CAFile         string // CA certificates of an https:// URL; "": the system's
	Timeout        time.Duration
}

// Error is a refusal: the HTTP status and the server's error message.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

// SpanRequest is the body of POST /api/v1/qc.
type SpanRequest struct {
	Station   string    `json:"station"`
	Parameter string    `json:"parameter"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Action    string    `json:"action"`
	Reason    string    `json:"reason"`
}

// AddSpan asks for a new span and returns it as stored (with its id, user and creation time).
func (c *Client) AddSpan(ctx context.Context, r SpanRequest) (quantrac.QCSpan, error) {
	var sp quantrac.QCSpan
	return sp, c.do(ctx, http.MethodPost, "/api/v1/qc", r, &sp)
}

// RevokeSpan revokes the span with the given id and returns it revoked.
func (c *Client) RevokeSpan(ctx context.Context, id string) (quantrac.QCSpan, error) {
	var sp quantrac.QCSpan
	return sp, c.do(ctx, http.MethodDelete, "/api/v1/qc/"+url.PathEscape(id), nil, &sp)
}

// Spans lists the spans of station ("": all) that overlap from … to (zero: open).
func (c *Client) Spans(ctx context.Context, station string, from, to time.Time) ([]quantrac.QCSpan, error) {
	v := url.Values{}
	if station != "" {
		v.Set("station", station)
	}
	if !from.IsZero() {
		v.Set("from", from.Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		v.Set("to", to.Format(time.RFC3339Nano))
	}
	var doc struct {
		Spans []quantrac.QCSpan `json:"spans"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/qc?"+v.Encode(), nil, &doc)
	return doc.Spans, err
}

// Approve approves a station's month (YYYY-MM) and returns the approval.
func (c *Client) Approve(ctx context.Context, station, month string) (quantrac.Approval, error) {
	var a quantrac.Approval
	return a, c.do(ctx, http.MethodPost, "/api/v1/approvals", map[string]string{"station": station, "month": month}, &a)
}

// WithdrawApproval withdraws the approval with the given id and returns it withdrawn.
func (c *Client) WithdrawApproval(ctx context.Context, id string) (quantrac.Approval, error) {
	var a quantrac.Approval
	return a, c.do(ctx, http.MethodDelete, "/api/v1/approvals/"+url.PathEscape(id), nil, &a)
}

// do sends one request (body, when not nil, as JSON) and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.User != "" {
		req.SetBasicAuth(c.User, c.Password)
	}
	hc, err := c.httpClient()
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &Error{Status: resp.StatusCode, Message: errorMessage(data, resp.Status)}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the answer of %s %s is not the JSON expected: %w", method, path, err)
	}
	return nil
}

// errorMessage is the "error" of quantrac's JSON error body, or the body as it is (the
// exporter-toolkit answers 401 in plain text), or else the HTTP status.
func errorMessage(body []byte, status string) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	if s := strings.TrimSpace(string(body)); s != "" && len(s) < 500 {
		return s
	}
	return status
}

// httpClient returns an HTTP client with the CA file's certificates, if any. It keeps no
// idle connection: a command sends one request.
func (c *Client) httpClient() (*http.Client, error) {
	tc, err := tlsfiles.Files{CAFile: c.CAFile}.Config("quantrac")
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.DisableKeepAlives = true
	return &http.Client{Timeout: cmp.Or(c.Timeout, 30*time.Second), Transport: tr}, nil
}
