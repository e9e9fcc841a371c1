package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/api"
	"github.com/quantrac/quantrac/internal/i18n"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/rules/aqi"
)

//go:embed assets templates
var files embed.FS

// Options configure the console.
type Options struct {
	API      *api.API
	Registry func() *quantrac.Registry
	// MapTiles is the optional base-map tile URL (web.map_tiles) with {z}, {x} and {y}.
	MapTiles string
	// Editors are the users who may write QC spans and approvals (web.editors); BasicAuth
	// reports whether the web config has basic_auth_users (httpapi.HasBasicAuth). The console
	// draws its write controls only for an editor the web config authenticated.
	Editors   []string
	BasicAuth func() bool
	Now       func() time.Time
	Logger    *slog.Logger
}

// Console serves the pages.
type Console struct {
	o       Options
	pages   map[string]*template.Template
	report  *template.Template
	outline *outline
	csp     string
}

// New parses the embedded templates and the country outline; it does no other I/O.
func New(o Options) (*Console, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{o: o, pages: map[string]*template.Template{}}
	for _, name := range []string{"map", "station", "violations", "error"} {
		t, err := template.New("layout.html").Funcs(report.Funcs()).Funcs(funcs()).
			ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		c.pages[name] = t
	}
	var err error
	if c.report, err = report.Template(); err != nil {
		return nil, err
	}
	data, err := files.ReadFile("assets/vietnam.json")
	if err != nil {
		return nil, err
	}
	if c.outline, err = parseOutline(data); err != nil {
		return nil, err
	}
	c.csp = contentPolicy(o.MapTiles)
	return c, nil
}

// contentPolicy allows only the console's own assets, and the tile server's images when set.
func contentPolicy(tiles string) string {
	img := "'self' data:"
	if u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(tiles)); err == nil && u.Host != "" {
		img += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"
}

// Register adds the console's routes to mux.
func (c *Console) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", c.mapPage)
	mux.HandleFunc("GET /stations/{id}", c.stationPage)
	mux.HandleFunc("GET /violations", c.violationsPage)
	mux.HandleFunc("GET /reports/{$}", c.reportIndex)
	mux.HandleFunc("GET /reports/{month}", c.reportPage)
	assets, _ := fs.Sub(files, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", cacheable(http.FileServerFS(assets))))
}

func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		h.ServeHTTP(w, r)
	})
}

// page is what every page template gets.
type page struct {
	L       i18n.Lang
	Base    string // relative URL of the console's root: "./" or "../"
	Title   string
	Self    string // this page's URL relative to Base, without lang, for the language switch
	Nav     string // the active menu entry
	Now     time.Time
	Version string
	Data    any
}

// OtherLang is this page's URL relative to Base in the other language.
func (p page) OtherLang() string {
	sep := "?"
	if strings.Contains(p.Self, "?") {
		sep = "&"
	}
	return p.Self + sep + "lang=" + string(p.L.Other())
}

// lang returns ?lang= when valid, else def.
func lang(r *http.Request, def i18n.Lang) i18n.Lang {
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		return l
	}
	return def
}

// render executes a page into a buffer first, so that a template error becomes a 500 page
// rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	p.Now = c.o.Now()
	if err := c.pages[name].Execute(&buf, p); err != nil {
		c.o.Logger.Error("console: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	c.headers(w, "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) headers(w http.ResponseWriter, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Security-Policy", c.csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
}

// fail renders the error page for an error of the API's functions.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, l i18n.Lang, base string, err error) {
	status := api.StatusOf(err)
	if status >= 500 {
		c.o.Logger.Warn("console: page failed", "path", r.URL.Path, "err", err)
	}
	api.SetRetryAfter(w, err)
	c.render(w, r, status, "error", page{L: l, Base: base, Title: http.StatusText(status), Data: struct {
		Status  int
		Message string
	}{status, err.Error()}})
}

// aqiColor returns the official colour of an index (Decision 1459 Table 1 = US EPA).
func aqiColor(v int) string { return aqi.CategoryOf(v).Color }

func funcs() template.FuncMap {
	return template.FuncMap{
		"aqiColor": aqiColor,
		"aqiName": func(l i18n.Lang, v int) string {
			if l == i18n.VI {
				return aqi.CategoryOf(v).NameVI
			}
			return aqi.CategoryOf(v).Name
		},
		"aqiCategories": aqi.Categories,
		"kind":          func(l i18n.Lang, k quantrac.Kind) string { return l.T(string(k)) },
		"stateLabel":    func(l i18n.Lang, s string) string { return l.T(stateKey(s)) },
		"limitState":    func(l i18n.Lang, s string) string { return l.T("state_" + s) },
		"pathEscape":    url.PathEscape,
		"mul":           func(a, b float64) float64 { return a * b },
		"rfc3339":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"bindingOnly":   func(ts []quantrac.Transition) []quantrac.Transition { return byForce(ts, false) },
		"referenceOnly": func(ts []quantrac.Transition) []quantrac.Transition { return byForce(ts, true) },
	}
}

func stateKey(s string) string {
	switch s {
	case api.StateViolation:
		return "violation"
	case api.StateSilent:
		return "silent"
	case api.StateInsufficient:
		return "insufficient"
	case api.StateReference:
		return "state_reference"
	}
	return "ok"
}

// byForce returns the transitions of reference limits (reference) or of binding ones; a
// transition without a force counts as binding (rules/README.md, "Force and words").
func byForce(ts []quantrac.Transition, reference bool) []quantrac.Transition {
	var out []quantrac.Transition
	for _, t := range ts {
		if (t.Force == rules.ForceReference) == reference {
			out = append(out, t)
		}
	}
	return out
}
