package console

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/i18n"
	"github.com/quantrac/quantrac/report"
)

// Chart geometry in SVG units.
const (
	chartW, chartH         = 760.0, 200.0
	padL, padR, padT, padB = 52.0, 150.0, 10.0, 24.0
)

// chart is the SVG of one parameter's hourly means against its limits.
type chart struct {
	Param, Unit string
	From, To    time.Time
	Points      []chartPoint
	Lines       []string // polyline point lists, broken at hours without a mean
	Limits      []limitLine
	Above       []string // limits above the chart's scale
	Shades      []shade  // the parts active invalidate spans cover
	YTicks      []tick
	XTicks      []tick
	W, H        float64
	Valid, Exp  int // valid and expected hours over the span
	Capture     float64
}

type chartPoint struct {
	X, Y  float64
	Valid bool
	Title string
}

type limitLine struct {
	X1, X2, Y float64
	Label     string
}

type tick struct {
	Pos   float64
	Label string
}

// newChart lays out the hours of one parameter, the limits on it and the spans that make
// its readings invalid.
func newChart(ser archive.Series, unit string, limits []report.Limit, spans quantrac.QCSpans, from, to time.Time, loc *time.Location, l i18n.Lang) chart {
	c := chart{Param: ser.Param, Unit: unit, From: from, To: to, W: chartW, H: chartH}
	top := 0.0
	for _, h := range ser.Hours {
		if !math.IsNaN(h.Mean) {
			top = math.Max(top, h.Mean)
		}
		if !h.IsExcluded() {
			c.Exp++
			if h.IsValid() {
				c.Valid++
			}
		}
	}
	if c.Exp > 0 {
		c.Capture = float64(c.Valid) * 100 / float64(c.Exp)
	}
	dataTop := top
	for _, lim := range limits {
		for _, v := range lim.Versions {
			for _, b := range []*float64{v.Min, v.Max} {
				if b != nil && (*b <= 3*dataTop || dataTop == 0) {
					top = math.Max(top, *b)
				}
			}
		}
	}
	top = niceCeil(top * 1.1)
	span := to.Sub(from).Seconds()
	xOf := func(t time.Time) float64 { return padL + (chartW-padL-padR)*t.Sub(from).Seconds()/span }
	yOf := func(v float64) float64 { return padT + (chartH-padT-padB)*(1-v/top) }
	c.points(ser, xOf, yOf, loc, l)
	c.limitLines(limits, from, to, top, xOf, yOf, l)
	c.Shades = shades(spans, ser.Param, from, to, xOf)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.YTicks = append(c.YTicks, tick{yOf(v), localNum(l, v)})
	}
	c.XTicks = timeTicks(from, to, loc, xOf)
	return c
}

func (c *chart) points(ser archive.Series, xOf func(time.Time) float64, yOf func(float64) float64, loc *time.Location, l i18n.Lang) {
	line := ""
	for _, h := range ser.Hours {
		if math.IsNaN(h.Mean) {
			if line != "" {
				c.Lines = append(c.Lines, line)
			}
			line = ""
			continue
		}
		x, y := xOf(h.End), yOf(h.Mean)
		title := fmt.Sprintf("%s %s %s · %d/%d", h.End.In(loc).Format("2006-01-02 15:04"), localNum(l, h.Mean), c.Unit, h.Valid, h.Expected)
		if !h.IsValid() {
			title += " · " + l.T("invalid_hour")
		}
		c.Points = append(c.Points, chartPoint{X: x, Y: y, Valid: h.IsValid(), Title: title})
		line += fmt.Sprintf("%.1f,%.1f ", x, y)
	}
	if line != "" {
		c.Lines = append(c.Lines, line)
	}
}

// limitLines draws each version of each limit over the part of the span it is in force.
func (c *chart) limitLines(limits []report.Limit, from, to time.Time, top float64, xOf func(time.Time) float64, yOf func(float64) float64, l i18n.Lang) {
	for _, lim := range limits {
		for _, v := range lim.Versions {
			a, b := from, to
			if !v.From.IsZero() && v.From.After(a) {
				a = v.From
			}
			if !v.Until.IsZero() && v.Until.Before(b) {
				b = v.Until
			}
			if !a.Before(b) {
				continue
			}
			for _, bound := range []*float64{v.Min, v.Max} {
				if bound == nil {
					continue
				}
				label := fmt.Sprintf("%s %s %s", lim.Regulation, lim.Period, localNum(l, *bound))
				if *bound > top {
					c.Above = append(c.Above, label)
					continue
				}
				c.Limits = append(c.Limits, limitLine{X1: xOf(a), X2: xOf(b), Y: yOf(*bound), Label: label})
			}
		}
	}
}

// timeTicks labels the span with days (or hours for a day).
func timeTicks(from, to time.Time, loc *time.Location, xOf func(time.Time) float64) []tick {
	var out []tick
	step, format := 24*time.Hour, "02/01"
	switch d := to.Sub(from); {
	case d <= 48*time.Hour:
		step, format = 6*time.Hour, "15:04"
	case d > 10*24*time.Hour:
		step = 5 * 24 * time.Hour
	}
	l := from.In(loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for ; !t.After(to); t = t.Add(step) {
		if t.After(from) {
			out = append(out, tick{xOf(t), t.Format(format)})
		}
	}
	return out
}

// niceCeil rounds v up to 1, 2 or 5 × a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func localNum(l i18n.Lang, v float64) string {
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	if l == i18n.VI {
		for i := 0; i < len(s); i++ {
			if s[i] == '.' {
				return s[:i] + "," + s[i+1:]
			}
		}
	}
	return s
}
