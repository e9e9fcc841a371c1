package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac/internal/tlsfiles"
)

// WriterOptions configures the InfluxDB connection.
type WriterOptions struct {
	URL     string
	Org     string // "" on InfluxDB 1.8
	Bucket  string // "db/rp" on 1.8
	Token   string // "user:password" on 1.8
	Timeout time.Duration
	// CAFile holds the CA certificates (PEM) that sign an https:// InfluxDB's certificate;
	// empty: the system's CAs.
	CAFile string
	// CertFile and KeyFile are a client certificate, for an InfluxDB (or a proxy in front
	// of it) that asks for one.
	CertFile, KeyFile string
	// ServerName is the name checked in InfluxDB's certificate, when it is not the URL's host.
	ServerName string
	// InsecureSkipVerify disables certificate checks (tests only).
	InsecureSkipVerify bool
}

// TLSConfig returns the TLS settings of o for an https:// URL, or nil when o sets none (Go's
// defaults: the system's CAs, the URL's host name).
func (o WriterOptions) TLSConfig() (*tls.Config, error) {
	return tlsfiles.Files{CAFile: o.CAFile, CertFile: o.CertFile, KeyFile: o.KeyFile, ServerName: o.ServerName,
		InsecureSkipVerify: o.InsecureSkipVerify}.Config("influx")
}

// HTTPClient returns an HTTP client with o's TLS settings and a timeout of at least 30 s, for
// the requests that do not go through influxdb-client-go (NewQuerier).
func (o WriterOptions) HTTPClient() (*http.Client, error) {
	tc, err := o.TLSConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Timeout: max(o.Timeout, 30*time.Second), Transport: tr}, nil
}

// InfluxWriter sends line protocol to InfluxDB's v2 write API, served by InfluxDB 1.8+, 2.x and
// 3.x, with influxdb-client-go/v2. It does not retry: the caller decides (see WriteError).
type InfluxWriter struct {
	client   influxdb2.Client
	api      api.WriteAPIBlocking
	points   prometheus.Counter
	errors   *prometheus.CounterVec
	duration prometheus.Histogram
}

// NewWriter builds an InfluxWriter and registers its metrics; it does no I/O.
func NewWriter(o WriterOptions, reg prometheus.Registerer) (*InfluxWriter, error) {
	opts := influxdb2.DefaultOptions().
		SetHTTPRequestTimeout(uint(max(o.Timeout, time.Second) / time.Second)).
		SetPrecision(time.Nanosecond).
		SetMaxRetries(0)
	tc, err := o.TLSConfig()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts.SetTLSConfig(tc)
	}
	client := influxdb2.NewClientWithOptions(o.URL, o.Token, opts)
	w := &InfluxWriter{
		client: client,
		api:    client.WriteAPIBlocking(o.Org, o.Bucket),
		points: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quantrac_points_written_total", Help: "Points written to InfluxDB.",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quantrac_write_errors_total", Help: "Failed InfluxDB write calls by class (retryable, rejected).",
		}, []string{"class"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "quantrac_write_duration_seconds", Help: "Duration of InfluxDB write calls.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
		}),
	}
	w.errors.WithLabelValues(ClassRetryable)
	w.errors.WithLabelValues(ClassRejected)
	if reg != nil {
		reg.MustRegister(w.points, w.errors, w.duration)
	}
	return w, nil
}

// Write sends one body of line protocol holding points points. A failure is a *WriteError.
func (w *InfluxWriter) Write(ctx context.Context, body []byte, points int) error {
	if len(body) == 0 {
		return nil
	}
	start := time.Now()
	err := w.api.WriteRecord(ctx, string(body))
	w.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		we := classify(err)
		w.errors.WithLabelValues(we.Class).Inc()
		return we
	}
	w.points.Add(float64(points))
	return nil
}

// Ping reports whether InfluxDB answers.
func (w *InfluxWriter) Ping(ctx context.Context) bool {
	ok, err := w.client.Ping(ctx)
	return err == nil && ok
}

// Close releases the client's connections.
func (w *InfluxWriter) Close() { w.client.Close() }

// Write error classes, the values of the class label of quantrac_write_errors_total.
const (
	// ClassRetryable: the network, a 5xx, a 429 — the same data may succeed later.
	ClassRetryable = "retryable"
	// ClassRejected: InfluxDB refused the data itself (400 type conflict, 422 outside
	// retention, 413 too large): retrying the same lines can never succeed.
	ClassRejected = "rejected"
)

// MaxRetryAfter caps the wait a Retry-After header can impose before the next write. A server
// may ask for an hour (one 429 during the start-up replay once stopped all consumption for an
// hour while InfluxDB was healthy seconds later); quantrac waits at most this long, which still
// spares an overloaded InfluxDB a retry storm, and then tries again.
const MaxRetryAfter = 30 * time.Second

// WriteError is a failed write with its class.
type WriteError struct {
	Class      string
	Status     int           // HTTP status, 0 for network errors
	RetryAfter time.Duration // from a 429 or 503 Retry-After header (honoured up to MaxRetryAfter)
	Err        error
}

func (e *WriteError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("influxdb write (%s, HTTP %d): %v", e.Class, e.Status, e.Err)
	}
	return fmt.Sprintf("influxdb write (%s): %v", e.Class, e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying with the same data.
func Retryable(err error) bool {
	var we *WriteError
	return errors.As(err, &we) && we.Class == ClassRetryable
}

func classify(err error) *WriteError {
	we := &WriteError{Class: ClassRetryable, Err: err}
	var he *influxhttp.Error
	if errors.As(err, &he) {
		we.Status = he.StatusCode
		we.RetryAfter = time.Duration(he.RetryAfter) * time.Second
		if he.Err != nil {
			we.Err = he.Err
		} else if he.Message != "" {
			we.Err = errors.New(he.Message)
		}
		switch he.StatusCode {
		case http.StatusUnauthorized:
			// InfluxDB 1.8 answers {"error": ...}, which the client does not parse.
			we.Err = fmt.Errorf("authorization failed: InfluxDB refused the token; check influx.token_file or QUANTRAC_INFLUX_TOKEN (\"user:password\" on 1.8) (%w)", we.Err)
		case http.StatusForbidden:
			we.Err = fmt.Errorf("forbidden: the token may not write to this bucket; check the user's privileges on the database (%w)", we.Err)
		}
		switch {
		case he.StatusCode == 0, he.StatusCode == http.StatusTooManyRequests, he.StatusCode >= 500,
			he.StatusCode == http.StatusUnauthorized, he.StatusCode == http.StatusForbidden,
			he.StatusCode == http.StatusNotFound:
			// 401/403/404: wrong token or missing database — an operator can fix it, and the
			// data must wait in the spool meanwhile rather than be thrown away.
		default:
			we.Class = ClassRejected
		}
		return we
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return we
	}
	return we
}
