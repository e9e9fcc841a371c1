package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// MaxWriteBody bounds the body of a write request (POST /api/v1/qc, /api/v1/approvals).
const MaxWriteBody = 64 << 10

// writeHandler answers a write request of the user the server authenticated: the status of
// its success (201, 200), its document, or an error.
type writeHandler func(r *http.Request, user string) (int, any, error)

// write wraps a write endpoint with the checks every write passes before it runs
// (docs/data-quality.md, who may write), and logs each refusal.
func (a *API) write(fn writeHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, err := a.authorize(r)
		if err == nil {
			err = checkContentType(r)
		}
		if err != nil {
			a.o.Logger.Warn("QC write refused", "user", user, "method", r.Method, "path", r.URL.Path,
				"status", StatusOf(err), "reason", err.Error())
			if StatusOf(err) == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="quantrac", charset="UTF-8"`)
			}
			writeError(w, err)
			return
		}
		status, doc, err := fn(r, user)
		if err != nil {
			if StatusOf(err) >= 500 {
				a.o.Logger.Warn("API write failed", "path", r.URL.Path, "user", user, "err", err)
			}
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(doc)
	}
}

// authorize returns the user a write request comes from, or why it may not write. The
// exporter-toolkit checks the password against the web config's basic_auth_users before any
// handler runs, so the user of r.BasicAuth is the one the server authenticated, but only
// when the web config has users: without them nobody is authenticated and every write is
// refused.
func (a *API) authorize(r *http.Request) (string, error) {
	if a.o.BasicAuth == nil || !a.o.BasicAuth() {
		return "", &Error{Status: http.StatusForbidden, Message: "writes are refused: the web config (-web.config.file) has no " +
			"basic_auth_users, so no user is authenticated"}
	}
	user, _, ok := r.BasicAuth()
	if !ok || user == "" {
		return "", &Error{Status: http.StatusUnauthorized, Message: "a write needs the credentials of a user named in web.editors"}
	}
	if !slices.Contains(a.o.Editors, user) {
		return user, &Error{Status: http.StatusForbidden, Message: "user " + user + " may read but not write: not in web.editors"}
	}
	if err := checkOrigin(r); err != nil {
		return user, err
	}
	return user, nil
}

// checkOrigin refuses a request a browser sent from another site: its Origin header, when
// present, must be the server's own origin (the scheme and host the request came to, the
// scheme as a TLS-terminating proxy says in X-Forwarded-Proto), and Sec-Fetch-Site must not
// say cross-site. A page of another site cannot set these headers, nor send a non-simple
// request here without a CORS preflight, which quantrac never answers.
func checkOrigin(r *http.Request) error {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return &Error{Status: http.StatusForbidden, Message: "cross-site request refused"}
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil // not a browser's cross-origin request (curl, quantrac qc)
	}
	u, err := url.Parse(origin)
	if err == nil && strings.EqualFold(u.Host, r.Host) && u.Path == "" && slices.Contains(requestSchemes(r), strings.ToLower(u.Scheme)) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Message: "cross-site request refused: Origin " + origin + " is not this server's"}
}

// requestSchemes are the schemes the request may have been sent with.
func requestSchemes(r *http.Request) []string {
	schemes := []string{"http"}
	if r.TLS != nil {
		schemes = []string{"https"}
	}
	if p := strings.ToLower(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		schemes = append(schemes, p)
	}
	return schemes
}

// checkContentType accepts a JSON body only (a page of another site can send a form or
// text/plain without a preflight, never application/json). A DELETE has no body and may
// leave the header out.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.Method == http.MethodDelete {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return &Error{Status: http.StatusUnsupportedMediaType, Message: "Content-Type " + quoteOr(ct, "(none)") + ": want application/json"}
}

// readBody reads a write request's body, at most MaxWriteBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxWriteBody+1))
	switch {
	case err != nil:
		return nil, badRequest("body: " + err.Error())
	case len(data) > MaxWriteBody:
		return nil, badRequest("body: larger than 65536 bytes")
	}
	return data, nil
}

// decodeJSON decodes data, one JSON object, into v, refusing unknown fields; fields the
// server sets itself (serverFields: the user, the id, times) are refused with a message
// saying so.
func decodeJSON(data []byte, v any, serverFields ...string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return badRequest("body: more than one JSON value")
		}
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch name, unknown := strings.CutPrefix(err.Error(), "json: unknown field "); {
	case errors.Is(err, io.EOF):
		return badRequest("body: empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &syntax):
		return badRequest("body: not JSON: " + strings.TrimPrefix(err.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("body: want a JSON object")
		}
		return badRequest(typ.Field + ": want a " + typ.Type.String())
	case unknown && slices.Contains(serverFields, strings.ToLower(strings.Trim(name, `"`))):
		return badRequest(strings.Trim(name, `"`) + ": set by the server (the user it authenticated, the time it stored the change); leave it out")
	case unknown:
		return badRequest("body: unknown field " + name)
	}
	return badRequest("body: " + strings.TrimPrefix(err.Error(), "json: "))
}
