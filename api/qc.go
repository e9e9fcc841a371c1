package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/store"
)

// SpanStore keeps QC spans (store.QC).
type SpanStore interface {
	AddSpans(ctx context.Context, spans ...quantrac.QCSpan) ([]quantrac.QCSpan, error)
	RevokeSpan(ctx context.Context, id, by string, at time.Time) (quantrac.QCSpan, error)
	Spans(ctx context.Context, f store.SpanFilter) (quantrac.QCSpans, error)
}

// MaxReason bounds a span's reason, in characters.
const MaxReason = 1000

// registerQC adds the data-quality endpoints (docs/data-quality.md), when the API has a
// store for them.
func (a *API) registerQC(mux *http.ServeMux) {
	if a.o.Spans != nil {
		mux.HandleFunc("GET /api/v1/qc", a.handle(func(r *http.Request) (any, error) { return a.listSpans(r.Context(), r.URL.Query()) }))
		mux.HandleFunc("POST /api/v1/qc", a.write(a.addSpan))
		mux.HandleFunc("DELETE /api/v1/qc/{id}", a.write(a.revokeSpan))
	}
	if a.o.Approvals != nil {
		mux.HandleFunc("GET /api/v1/approvals", a.handle(func(r *http.Request) (any, error) {
			return a.listApprovals(r.Context(), r.URL.Query())
		}))
		mux.HandleFunc("POST /api/v1/approvals", a.write(a.addApproval))
		mux.HandleFunc("DELETE /api/v1/approvals/{id}", a.write(a.withdrawApproval))
	}
}

// spanRequest is the body of POST /api/v1/qc.
type spanRequest struct {
	Station   string `json:"station"`
	Parameter string `json:"parameter"`
	From      string `json:"from"`
	To        string `json:"to"`
	Action    string `json:"action"`
	Reason    string `json:"reason"`
}

// serverSet are the fields of a span or an approval that the server sets: a body that
// carries one is refused, whatever its value.
var serverSet = []string{"id", "user", "source", "created_at", "revoked_by", "revoked_at", "withdrawn_by", "withdrawn_at"}

// parseSpanRequest decodes and checks a POST /api/v1/qc body: the span it asks for, without
// its id, user and creation time.
func (a *API) parseSpanRequest(body []byte) (quantrac.QCSpan, error) {
	var req spanRequest
	if err := decodeJSON(body, &req, serverSet...); err != nil {
		return quantrac.QCSpan{}, err
	}
	sp := quantrac.QCSpan{Station: req.Station, Source: quantrac.QCSourceUser, Action: req.Action, Reason: strings.TrimSpace(req.Reason)}
	if err := a.bodyStation(req.Station); err != nil {
		return sp, err
	}
	var err error
	if sp.Parameter, err = spanParameter(req.Parameter); err != nil {
		return sp, err
	}
	if sp.From, err = bodyTime("from", req.From); err != nil {
		return sp, err
	}
	if sp.To, err = bodyTime("to", req.To); err != nil {
		return sp, err
	}
	switch {
	case sp.From.After(sp.To):
		return sp, badRequest("from must not be after to")
	case sp.Action != quantrac.QCInvalidate && sp.Action != quantrac.QCValidate:
		return sp, badRequest("action: " + quoteOr(req.Action, "required") + " is not invalidate or validate")
	}
	return sp, checkReason(sp.Reason)
}

// bodyStation checks a station id of a request body: a registered station (400, not 404:
// the path is right, the body is not).
func (a *API) bodyStation(id string) error {
	if id == "" {
		return badRequest("station: required")
	}
	if a.o.Registry().Station(id) == nil {
		return badRequest("station: unknown station " + strconv.Quote(id))
	}
	return nil
}

// spanParameter returns the canonical id of a span's parameter (aliases accepted), or
// quantrac.QCAllParameters. Stations do not list the parameters they measure: any parameter
// of the catalog is one a station may report.
func spanParameter(name string) (string, error) {
	if name == quantrac.QCAllParameters {
		return name, nil
	}
	p, ok := param.Lookup(name)
	if !ok {
		return "", badRequest("parameter: " + quoteOr(name, "required") + " is not a known parameter (pm25, cod, …, or * for all)")
	}
	return p.ID, nil
}

// bodyTime parses an RFC 3339 time of a request body, within the years reports cover.
func bodyTime(key, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, badRequest(key + ": required (an RFC 3339 time)")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, badRequest(key + ": " + strconv.Quote(s) + " is not an RFC 3339 time")
	}
	if t.Year() < report.FirstYear || t.Year() >= report.LastYear {
		return t, badRequest(key + ": want a time between 1970 and 2200")
	}
	return t.UTC(), nil
}

// checkReason requires a reason: one line of at most MaxReason characters.
func checkReason(reason string) error {
	switch {
	case reason == "":
		return badRequest("reason: required (say why, e.g. \"analyser fault\")")
	case !utf8.ValidString(reason):
		return badRequest("reason: not UTF-8")
	case utf8.RuneCountInString(reason) > MaxReason:
		return badRequest("reason: longer than 1000 characters")
	case strings.ContainsFunc(reason, unicode.IsControl):
		return badRequest("reason: must be one line without control characters")
	}
	return nil
}

// addSpan answers POST /api/v1/qc: 201 with the span stored.
func (a *API) addSpan(r *http.Request, user string) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	sp, err := a.parseSpanRequest(body)
	if err != nil {
		return 0, nil, err
	}
	sp.User, sp.CreatedAt = user, a.o.Now().UTC()
	spans, err := a.o.Spans.AddSpans(r.Context(), sp)
	if err != nil {
		return 0, nil, err
	}
	sp = spans[0]
	a.audit(user, sp.Action, sp.ID, sp.Station, "parameter", sp.Parameter, "from", sp.From, "to", sp.To, "reason", sp.Reason)
	a.spanChanged(sp)
	return http.StatusCreated, sp, nil
}

// revokeSpan answers DELETE /api/v1/qc/{id}: 200 with the span revoked.
func (a *API) revokeSpan(r *http.Request, user string) (int, any, error) {
	id := r.PathValue("id")
	sp, err := a.o.Spans.RevokeSpan(r.Context(), id, user, a.o.Now().UTC())
	if err = storeError(err, "QC span", id); err != nil {
		return 0, nil, err
	}
	a.audit(user, "revoke", sp.ID, sp.Station, "parameter", sp.Parameter)
	a.spanChanged(sp)
	return http.StatusOK, sp, nil
}

// spanChanged tells Options.OnSpan of a span written or revoked.
func (a *API) spanChanged(sp quantrac.QCSpan) {
	if a.o.OnSpan != nil {
		a.o.OnSpan(sp)
	}
}

// audit logs one write: who did what to which span or approval of which station.
func (a *API) audit(user, action, id, station string, more ...any) {
	a.o.Logger.Info("QC audit", append([]any{"user", user, "action", action, "id", id, "station", station}, more...)...)
}

// storeError maps a store's not-found and already-revoked errors to 404 and 409.
func storeError(err error, what, id string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound("no " + what + " " + strconv.Quote(id))
	case errors.Is(err, store.ErrRevoked):
		return &Error{Status: http.StatusConflict, Message: err.Error()}
	}
	return err
}

// SpansDoc is the document of GET /api/v1/qc.
type SpansDoc struct {
	Station string            `json:"station,omitempty"`
	From    time.Time         `json:"from,omitzero"`
	To      time.Time         `json:"to,omitzero"`
	Spans   []quantrac.QCSpan `json:"spans"`
}

// listSpans answers GET /api/v1/qc?station=&from=&to=: the spans, automatic and manual,
// active and revoked, of one station or all that overlap from … to (each optional).
func (a *API) listSpans(ctx context.Context, v url.Values) (*SpansDoc, error) {
	d := &SpansDoc{Station: v.Get("station")}
	if d.Station != "" {
		if _, err := a.station(d.Station); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"from", &d.From}, {"to", &d.To}} {
		if s := v.Get(f.key); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return nil, badRequest(f.key + ": " + strconv.Quote(s) + " is not an RFC 3339 time")
			}
			*f.t = t.UTC()
		}
	}
	if !d.From.IsZero() && !d.To.IsZero() && d.From.After(d.To) {
		return nil, badRequest("from must not be after to")
	}
	return a.Spans(ctx, d.Station, d.From, d.To)
}

// HasSpans reports whether the API keeps QC spans (Options.Spans is set).
func (a *API) HasSpans() bool { return a.o.Spans != nil }

// HasApprovals reports whether the API keeps approvals (Options.Approvals is set).
func (a *API) HasApprovals() bool { return a.o.Approvals != nil }

// Spans returns the document of GET /api/v1/qc?station=&from=&to= for a station the caller
// has checked ("": every station) and bounds in order (a zero bound leaves that side open).
func (a *API) Spans(ctx context.Context, station string, from, to time.Time) (*SpansDoc, error) {
	spans, err := a.o.Spans.Spans(ctx, store.SpanFilter{Station: station, From: from, To: to})
	if err != nil {
		return nil, err
	}
	return &SpansDoc{Station: station, From: from, To: to, Spans: append([]quantrac.QCSpan{}, spans...)}, nil
}
