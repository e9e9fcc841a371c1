package report

import (
	"embed"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/quantrac/quantrac/internal/i18n"
)

//go:embed templates/report.html templates/report.css
var files embed.FS

// HTMLOptions adjust the HTML of a report.
type HTMLOptions struct {
	Lang i18n.Lang
	// Console is the relative URL of the console's root ("../") when the console serves the
	// report: the page then links back to the map, to the other language and to the CSV, and
	// loads the console's script. "" for a standalone file (quantrac report).
	Console string
	LangURL string // the report in the other language
	CSVURL  string // the report as CSV
	// ApproveURL, when set (the console, an editor's report of one station), draws a button
	// that approves ApproveStation's month through this URL (POST /api/v1/approvals).
	ApproveURL, ApproveStation string
}

// Template parses the report's template; the console parses it once and executes it per request.
func Template() (*template.Template, error) {
	css, err := files.ReadFile("templates/report.css")
	if err != nil {
		return nil, err
	}
	return template.New("report.html").Funcs(Funcs()).Funcs(template.FuncMap{
		"css": func() template.CSS { return template.CSS(css) },
	}).ParseFS(files, "templates/report.html")
}

// WriteHTML renders the report with a template from Template.
func (r *Report) WriteHTML(w io.Writer, t *template.Template, o HTMLOptions) error {
	if o.Lang == "" {
		o.Lang = i18n.VI
	}
	return t.Execute(w, struct {
		*Report
		L    i18n.Lang
		Opts HTMLOptions
	}{r, o.Lang, o})
}

// Funcs are the formatting functions the report's and the console's templates share.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"num":    localNum,
		"pct":    func(l i18n.Lang, v float64) string { return localize(l, pct(v)) },
		"opt":    func(l i18n.Lang, p *float64) string { return localize(l, optNum(p)) },
		"local":  localTime,
		"lower":  strings.ToLower,
		"mul100": func(v float64) float64 { return v * 100 },
		"args":   func(v ...any) []any { return v },
	}
}

func localNum(l i18n.Lang, v float64) string { return localize(l, num(v)) }

// localize writes decimals with a comma in Vietnamese.
func localize(l i18n.Lang, s string) string {
	if l == i18n.VI {
		return strings.Replace(s, ".", ",", 1)
	}
	return s
}

// localTime formats t in the zone named tz: "2026-11-15 10:05 +07".
func localTime(tz string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 -07")
}
