package console

import (
	"cmp"
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/api"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/i18n"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/report"
)

// marker is a station on the map.
type marker struct {
	api.Station
	X, Y     float64
	Left     bool   // the label goes left of the marker: another marker is close on its right
	AQI      int    // the VN_AQI, else the US AQI, -1 without one
	AQIColor string // its official colour
}

type mapData struct {
	View      view
	Paths     []countryPath
	Tiles     []tile
	Inset     view
	InsetRect view // the map's view inside the inset
	InsetVN   []countryPath
	Markers   []marker
	Counts    map[string]int
	States    []string
	Active    int
	Month     string
	Source    string
	HasTiles  bool
	Scale     float64 // view units per map pixel: markers and labels keep their size
}

func (c *Console) mapPage(w http.ResponseWriter, r *http.Request) {
	reg := c.o.Registry()
	l := lang(r, i18n.ForRegistry(reg))
	doc, err := c.o.API.StationList(r.Context())
	if err != nil {
		c.fail(w, r, l, "./", err)
		return
	}
	var pts [][2]float64
	for _, s := range doc.Stations {
		pts = append(pts, [2]float64{s.Location.Lon, s.Location.Lat})
	}
	d := mapData{View: fitView(pts, 0.8, mapWidth), Counts: map[string]int{},
		States: []string{api.StateViolation, api.StateSilent, api.StateInsufficient, api.StateReference, api.StateOK},
		Source: c.outline.Source, HasTiles: c.o.MapTiles != ""}
	d.Paths = d.View.paths(c.outline)
	d.Tiles = d.View.tiles(c.o.MapTiles)
	d.Inset = fitView(nil, 1, 150)
	k := math.Exp2(float64(d.Inset.Z - d.View.Z))
	d.InsetRect = view{X: d.View.X * k, Y: d.View.Y * k, W: max(d.View.W*k, 4), H: max(d.View.H*k, 4)}
	for _, p := range d.Inset.paths(c.outline) {
		if p.Code == "VN" {
			d.InsetVN = append(d.InsetVN, p)
		}
	}
	for _, s := range doc.Stations {
		m := marker{Station: s, AQI: -1}
		m.X, m.Y = d.View.Point(s.Location.Lon, s.Location.Lat)
		if a := pickAQI(s); a >= 0 {
			m.AQI, m.AQIColor = a, aqiColor(a)
		}
		d.Markers = append(d.Markers, m)
		d.Counts[s.State]++
		d.Active += s.ActiveBinding() // exceedances of standards and permits only
	}
	d.Scale = d.View.W / mapWidth
	placeLabels(d.Markers, d.Scale)
	now := c.o.Now()
	d.Month = report.MonthOf(now, time.Local).Previous().String()
	c.render(w, r, http.StatusOK, "map", page{L: l, Base: "./", Title: l.T("map"), Self: "", Nav: "map", Data: d})
}

// pickAQI returns the station's VN_AQI, else its US AQI, else -1.
func pickAQI(s api.Station) int {
	v := -1
	for _, a := range s.AQI {
		if a.Scheme == "vn" || v < 0 {
			v = a.Value
		}
	}
	return v
}

type stationData struct {
	*api.StationDetail
	Period   string
	Periods  []string
	Charts   []chart
	Recent   []quantrac.Transition
	RecentQL string
	Month    string
	PrevMon  string
	AQINames []string
	QC       qcData
}

func (c *Console) stationPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st := c.o.Registry().Station(id)
	l := lang(r, i18n.ForStation(st))
	d, err := c.o.API.StationDetail(r.Context(), id)
	if err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	sd := stationData{StationDetail: d, Period: r.URL.Query().Get("period"), Periods: []string{"24h", "7d", "30d"}}
	if sd.Period == "" {
		sd.Period = "7d"
	}
	sv, self, err := seriesRange(r.URL.Query(), sd.Period, st.TimeLocation())
	if err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	if sv.Has("from") || sv.Has("to") {
		sd.Period = "" // a range of its own: none of the last-N links is the current one
	}
	q, err := c.o.API.ParseSeriesQuery(id, sv)
	if err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	spans, err := c.stationSpans(r.Context(), id, q.From, q.To)
	if err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	if sd.Charts, err = c.charts(r.Context(), st, d, spans, q.From, q.To, l); err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	sd.QC = qcData{Spans: spans, Editor: c.o.API.HasSpans() && c.editor(r)}
	for _, ch := range sd.Charts {
		sd.QC.Params = append(sd.QC.Params, ch.Param)
	}
	vq := api.ViolationQuery{Station: id, From: q.To.Add(-api.DefaultViolationSpan), To: c.o.Now()}
	recent, err := c.o.API.Violations(r.Context(), vq)
	if err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	sd.Recent, sd.RecentQL = recent.Violations, recent.Query
	m := report.MonthOf(c.o.Now(), st.TimeLocation())
	sd.Month, sd.PrevMon = m.String(), m.Previous().String()
	title := st.Name
	if title == "" {
		title = st.ID
	}
	c.render(w, r, http.StatusOK, "station", page{L: l, Base: "../", Title: title, Self: "stations/" + url.PathEscape(id) + "?" + self,
		Nav: "map", Data: sd})
}

// seriesRange returns the series query of a station page — its period, or the from and to it
// was given — and the page's own query. from and to are RFC 3339 times, or local dates and
// times of the station's zone (2026-11-01, 2026-11-01T08:00): an inspector types a day.
func seriesRange(v url.Values, period string, loc *time.Location) (sv url.Values, self string, err error) {
	sv = url.Values{"parameter": {"pm25"}, "period": {period}}
	own := url.Values{"period": {period}}
	for _, k := range []string{"from", "to"} {
		s := v.Get(k)
		if s == "" {
			continue
		}
		t, err := parseWhen(s, loc)
		if err != nil {
			return nil, "", &api.Error{Status: http.StatusBadRequest,
				Message: k + ": " + strconv.Quote(s) + " is not a date (2026-11-01), a local time (2026-11-01T08:00) or an RFC 3339 time"}
		}
		sv.Set(k, t.Format(time.RFC3339))
		own.Set(k, s)
	}
	if own.Has("from") || own.Has("to") {
		own.Del("period")
	}
	return sv, own.Encode(), nil
}

// parseWhen reads an RFC 3339 time, or a date or a date and time in loc.
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a time")
}

// charts returns one chart per parameter: those with limits first (in limit order), then the
// others with data in the span.
func (c *Console) charts(ctx context.Context, st *quantrac.Station, d *api.StationDetail, spans quantrac.QCSpans, from, to time.Time, l i18n.Lang) ([]chart, error) {
	series, err := c.o.API.Hours(ctx, st, from, to)
	if err != nil {
		return nil, err
	}
	var order []string
	for _, lim := range d.LimitLines {
		if !slices.Contains(order, lim.Parameter) {
			order = append(order, lim.Parameter)
		}
	}
	for _, s := range series {
		if !slices.Contains(order, s.Param) {
			order = append(order, s.Param)
		}
	}
	var out []chart
	for _, p := range order {
		i := slices.IndexFunc(series, func(s archive.Series) bool { return s.Param == p })
		if i < 0 {
			continue // a limit on a parameter the station did not send in the span: nothing to draw
		}
		ser := series[i] // drawn even without a valid hour: its capture is then 0
		unit := ""
		if cp, ok := param.Lookup(p); ok {
			unit = cp.Unit
		}
		var limits []report.Limit
		for _, lim := range d.LimitLines {
			if lim.Parameter == p {
				limits = append(limits, lim)
			}
		}
		out = append(out, newChart(ser, unit, limits, spans, from, to, st.TimeLocation(), l))
	}
	return out, nil
}

type violationsData struct {
	Query    api.ViolationQuery
	Doc      *api.ViolationsDoc
	Stations []*quantrac.Station
	FromDate string
	ToDate   string
	TZ       map[string]string // station → time zone
}

func (c *Console) violationsPage(w http.ResponseWriter, r *http.Request) {
	reg := c.o.Registry()
	l := lang(r, i18n.ForRegistry(reg))
	v := r.URL.Query()
	// Dates from the form's date inputs are whole local days.
	for _, k := range []string{"from", "to"} {
		if s := v.Get(k); len(s) == len("2006-01-02") {
			if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
				if k == "to" {
					t = t.AddDate(0, 0, 1)
				}
				v.Set(k, t.Format(time.RFC3339))
			}
		}
	}
	q, err := c.o.API.ParseViolationQuery(v)
	if err != nil {
		c.fail(w, r, l, "./", err)
		return
	}
	doc, err := c.o.API.Violations(r.Context(), q)
	if err != nil {
		c.fail(w, r, l, "./", err)
		return
	}
	d := violationsData{Query: q, Doc: doc, Stations: reg.Stations(),
		FromDate: q.From.Format(time.DateOnly), ToDate: q.To.Add(-time.Nanosecond).Format(time.DateOnly), TZ: map[string]string{}}
	for _, st := range reg.Stations() {
		d.TZ[st.ID] = st.TimeLocation().String()
	}
	self := "violations?" + strings.TrimPrefix(encodeWithout(r.URL.Query(), "lang"), "&")
	c.render(w, r, http.StatusOK, "violations", page{L: l, Base: "./", Title: l.T("violations"), Self: self, Nav: "violations", Data: d})
}

// encodeWithout encodes v without key, ending with "&" when not empty.
func encodeWithout(v url.Values, key string) string {
	c := url.Values{}
	for k, vs := range v {
		if k != key {
			c[k] = vs
		}
	}
	if len(c) == 0 {
		return ""
	}
	return c.Encode() + "&"
}

// reportIndex redirects to the previous month's report.
func (c *Console) reportIndex(w http.ResponseWriter, r *http.Request) {
	m := report.MonthOf(c.o.Now(), time.Local).Previous()
	http.Redirect(w, r, m.String()+"?"+r.URL.RawQuery, http.StatusFound)
}

func (c *Console) reportPage(w http.ResponseWriter, r *http.Request) {
	month, csv := strings.CutSuffix(r.PathValue("month"), ".csv")
	station := r.URL.Query().Get("station")
	reg := c.o.Registry()
	def := i18n.ForRegistry(reg)
	if st := reg.Station(station); st != nil {
		def = i18n.ForStation(st)
	}
	l := lang(r, def)
	rep, err := c.o.API.Report(r.Context(), month, station)
	if err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	var buf strings.Builder
	if csv {
		if err := rep.WriteCSV(&buf); err != nil {
			c.fail(w, r, l, "../", err)
			return
		}
		c.headers(w, "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="quantrac-report-`+rep.Month+stationSuffix(station)+`.csv"`)
		_, _ = w.Write([]byte(buf.String()))
		return
	}
	q := ""
	if station != "" {
		q = "station=" + url.QueryEscape(station) + "&"
	}
	o := report.HTMLOptions{Lang: l, Console: "../", LangURL: month + "?" + q + "lang=" + string(l.Other()), CSVURL: month + ".csv?" + strings.TrimSuffix(q, "&")}
	if station != "" && c.o.API.HasApprovals() && c.editor(r) {
		o.ApproveURL, o.ApproveStation = "../api/v1/approvals", station
	}
	if err := rep.WriteHTML(&buf, c.report, o); err != nil {
		c.fail(w, r, l, "../", err)
		return
	}
	c.headers(w, "text/html; charset=utf-8")
	_, _ = w.Write([]byte(buf.String()))
}

func stationSuffix(id string) string {
	if id == "" {
		return ""
	}
	return "-" + url.PathEscape(id)
}

// placeLabels puts a marker's label on its left when another marker lies close on its right
// and keeps its own label on the right, so that stations a kilometre apart stay readable;
// scale is view units per screen pixel.
func placeLabels(ms []marker, scale float64) {
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(ms[a].X, ms[b].X) })
	for _, i := range idx {
		for _, j := range idx {
			dx, dy := (ms[j].X-ms[i].X)/scale, (ms[j].Y-ms[i].Y)/scale
			if i != j && dx >= 0 && dx < 60 && math.Abs(dy) < 22 && !ms[j].Left {
				ms[i].Left = true
				break
			}
		}
	}
}
