package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/rules"
)

// State is the rules engine's live state (rules.Engine).
type State interface {
	Stations() []rules.StationStatus
	Active() []quantrac.Transition
}

// Options configure the API.
type Options struct {
	State    State
	Registry func() *quantrac.Registry
	Catalog  *rules.Catalog
	Archive  *archive.Archive
	// Changes records the points this process writes: reports of ended months are kept until
	// one of their points is written (report.Cache). nil: every report is built afresh, as
	// where other processes write to the same database.
	Changes *report.Changes
	Now     func() time.Time
	Logger  *slog.Logger

	// Spans and Approvals keep the data-quality layer (store.QC); nil leaves out its
	// endpoints (docs/data-quality.md).
	Spans     SpanStore
	Approvals ApprovalStore
	// Editors are the users who may write spans and approvals (web.editors).
	Editors []string
	// BasicAuth reports whether the web config has basic_auth_users (httpapi.HasBasicAuth):
	// only then is a request's user authenticated. nil: never, every write is refused.
	BasicAuth func() bool
	// OnSpan, when set, is called with each span written or revoked, once it is stored.
	OnSpan func(quantrac.QCSpan)
}

// API serves /api/v1 and builds the documents the console renders.
type API struct {
	o       Options
	reports *report.Cache
}

// New returns the API; it does no I/O.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b := &report.Builder{Archive: o.Archive, Catalog: o.Catalog, Registry: o.Registry, State: o.State, QC: reportQC(o)}
	return &API{o: o, reports: report.NewCache(b.Build, o.Registry, o.Changes)}
}

// reportQC is the data-quality layer the reports read: nil without one.
func reportQC(o Options) report.QC {
	if o.Spans == nil || o.Approvals == nil {
		return nil
	}
	return qcStores{o.Spans, o.Approvals}
}

type qcStores struct {
	SpanStore
	ApprovalStore
}

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/stations", a.handle(func(r *http.Request) (any, error) { return a.StationList(r.Context()) }))
	mux.HandleFunc("GET /api/v1/stations/{id}", a.handle(func(r *http.Request) (any, error) {
		return a.StationDetail(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("GET /api/v1/stations/{id}/series", a.handle(func(r *http.Request) (any, error) {
		q, err := a.ParseSeriesQuery(r.PathValue("id"), r.URL.Query())
		if err != nil {
			return nil, err
		}
		return a.Series(r.Context(), q)
	}))
	mux.HandleFunc("GET /api/v1/violations", a.handle(func(r *http.Request) (any, error) {
		q, err := a.ParseViolationQuery(r.URL.Query())
		if err != nil {
			return nil, err
		}
		return a.Violations(r.Context(), q)
	}))
	mux.HandleFunc("GET /api/v1/reports/{month}", a.handle(func(r *http.Request) (any, error) {
		return a.Report(r.Context(), r.PathValue("month"), r.URL.Query().Get("station"))
	}))
	a.registerQC(mux)
	mux.HandleFunc("GET /api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Message: "no such endpoint: " + r.URL.Path})
	})
}

// Error is an error with its HTTP status.
type Error struct {
	Status     int
	Message    string
	RetryAfter time.Duration // a 503's Retry-After, 0 for none
}

func (e *Error) Error() string { return e.Message }

func badRequest(msg string) error { return &Error{Status: http.StatusBadRequest, Message: msg} }

func notFound(msg string) error { return &Error{Status: http.StatusNotFound, Message: msg} }

// StatusOf returns the HTTP status of an error of the API's functions.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway // InfluxDB failed
}

func (a *API) handle(fn func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		doc, err := fn(r)
		if err != nil {
			if StatusOf(err) >= 500 {
				a.o.Logger.Warn("API request failed", "path", r.URL.Path, "err", err)
			}
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(doc)
	}
}

// SetRetryAfter sets the Retry-After header of an error that says when to come back.
func SetRetryAfter(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())))
	}
}

func writeError(w http.ResponseWriter, err error) {
	SetRetryAfter(w, err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(StatusOf(err))
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// station returns the registered station id or a 404 error.
func (a *API) station(id string) (*quantrac.Station, error) {
	st := a.o.Registry().Station(id)
	if st == nil {
		return nil, notFound("unknown station " + id)
	}
	return st, nil
}
