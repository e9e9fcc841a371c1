package console

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
)

// editor returns whether the request comes from a user who may write QC spans and approvals:
// the web config has basic_auth_users (so the exporter-toolkit checked the password before
// any handler ran) and the request's user is in web.editors. The API checks the same on each
// write; the console only decides which controls to draw.
func (c *Console) editor(r *http.Request) bool {
	if c.o.BasicAuth == nil || !c.o.BasicAuth() {
		return false
	}
	user, _, ok := r.BasicAuth()
	return ok && user != "" && slices.Contains(c.o.Editors, user)
}

// qcData is the data-quality part of the station page: the station's spans over the shown
// range, and whether the viewer may write.
type qcData struct {
	Spans  []quantrac.QCSpan // newest first
	Editor bool
	Params []string // the parameters the form offers: those of the charts
}

// stationSpans returns the spans of a station that overlap from … to, newest first; nil when
// the API keeps no spans.
func (c *Console) stationSpans(ctx context.Context, id string, from, to time.Time) (quantrac.QCSpans, error) {
	if !c.o.API.HasSpans() {
		return nil, nil
	}
	doc, err := c.o.API.Spans(ctx, id, from, to)
	if err != nil {
		return nil, err
	}
	spans := quantrac.QCSpans(doc.Spans)
	slices.SortFunc(spans, func(a, b quantrac.QCSpan) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return b.From.Compare(a.From)
	})
	return spans, nil
}

// shade is the part of a chart an active invalidate span covers.
type shade struct {
	X, W   float64
	Source string // quantrac.QCSourceAuto or QCSourceUser
	Title  string
}

// shades returns the shaded parts of the chart of parameter param: one per active
// invalidate span over it, clipped to from … to.
func shades(spans quantrac.QCSpans, param string, from, to time.Time, xOf func(time.Time) float64) []shade {
	var out []shade
	for _, sp := range spans {
		if !sp.Active() || sp.Action != quantrac.QCInvalidate || (sp.Parameter != param && sp.Parameter != quantrac.QCAllParameters) {
			continue
		}
		a, b := maxTime(sp.From, from), minTime(sp.To, to)
		if b.Before(a) {
			continue
		}
		x1, x2 := xOf(a), xOf(b)
		out = append(out, shade{X: x1, W: max(x2-x1, 1), Source: sp.Source, Title: sp.Reason + " · " + sp.User})
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
