package httpapi

import (
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Exposition writes metric families in the Prometheus text exposition format 0.0.4, each
// family one block that starts with its # HELP and # TYPE lines. It is for metrics too many to
// build a prometheus.Metric for each at every scrape (the rules engine's).
type Exposition interface {
	io.WriterTo
	// Families returns the names of the families WriteTo writes.
	Families() []string
}

// textFormat is the format /metrics serves: text 0.0.4, which every Prometheus reads.
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// gzipLevel trades compression for speed: at 10,000 stations the exposition is over 100 MB of
// text, which BestSpeed compresses ~3 times faster than the default level, to 1/19 of its size
// (the default level: 1/25); see the rules package's BenchmarkCollect10k.
const gzipLevel = gzip.BestSpeed

// metricsHandler serves /metrics: the gathered families, then the expositions.
type metricsHandler struct {
	gatherer    prometheus.Gatherer
	expositions []Exposition
	written     map[string]bool // the families of the expositions
	log         *slog.Logger
	gzips       sync.Pool // of *gzip.Writer
}

// newMetricsHandler returns the /metrics handler; no two expositions may write a family of
// the same name.
func newMetricsHandler(g prometheus.Gatherer, xs []Exposition, log *slog.Logger) (*metricsHandler, error) {
	h := &metricsHandler{gatherer: g, expositions: xs, written: map[string]bool{}, log: log}
	for _, x := range xs {
		for _, name := range x.Families() {
			if h.written[name] {
				return nil, fmt.Errorf("metric family %s is written by two expositions", name)
			}
			h.written[name] = true
		}
	}
	return h, nil
}

// ServeHTTP gathers first, so that a gather error can still be answered with status 500.
func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mfs, err := h.gather()
	if err != nil {
		h.log.Error("gathering metrics", "err", err)
		http.Error(w, "An error has occurred while gathering metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", string(textFormat))
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		err = h.write(w, mfs)
	} else {
		w.Header().Set("Content-Encoding", "gzip")
		err = h.writeGzip(w, mfs)
	}
	if err != nil {
		h.log.Warn("writing metrics", "err", err)
	}
}

// gather gathers the registry's families, which must not include one of the expositions':
// the format allows a family only once.
func (h *metricsHandler) gather() ([]*dto.MetricFamily, error) {
	mfs, err := h.gatherer.Gather()
	if err != nil {
		return nil, err
	}
	for _, mf := range mfs {
		if h.written[mf.GetName()] {
			return nil, fmt.Errorf("metric family %s is both gathered and written by an exposition", mf.GetName())
		}
	}
	return mfs, nil
}

// write writes the gathered families, then the expositions, in the text format.
func (h *metricsHandler) write(w io.Writer, mfs []*dto.MetricFamily) error {
	enc := expfmt.NewEncoder(w, textFormat)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	for _, x := range h.expositions {
		if _, err := x.WriteTo(w); err != nil {
			return err
		}
	}
	return nil
}

// writeGzip is write through a gzip writer taken from a pool: each holds ~800 KB of state.
func (h *metricsHandler) writeGzip(w io.Writer, mfs []*dto.MetricFamily) error {
	gz, _ := h.gzips.Get().(*gzip.Writer)
	if gz == nil {
		gz, _ = gzip.NewWriterLevel(w, gzipLevel) // the level is valid
	} else {
		gz.Reset(w)
	}
	defer h.gzips.Put(gz)
	if err := h.write(gz, mfs); err != nil {
		return err
	}
	return gz.Close()
}

// acceptsGzip reports whether an Accept-Encoding header value allows a gzip response: gzip or
// "*" listed with a non-zero quality, gzip's own entry taking precedence (RFC 9110 §12.5.3).
func acceptsGzip(header string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := 1.0
		if k, v, ok := strings.Cut(params, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			var err error
			if q, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				q = 0
			}
		}
		switch coding = strings.TrimSpace(coding); {
		case strings.EqualFold(coding, "gzip"):
			gzipQ = q
		case coding == "*":
			anyQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}
