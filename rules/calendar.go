package rules

import "time"

// calendar maps event times to local calendar days of one station, caching the current day so
// that the hot path does not call time.In for every reading.
type calendar struct {
	loc        *time.Location
	start, end int64 // the cached day [start, end) in Unix nanoseconds
	year, yday int   // its year and day of the year (1-based)
	dayNum     int64 // days since 1970-01-01 of its local date
}

// day returns the local day holding instant x (Unix ns): its bounds, year, day of the year and
// day number.
func (c *calendar) day(x int64) (start, end int64, year, yday int, dayNum int64) {
	if x < c.start || x >= c.end {
		c.fill(x)
	}
	return c.start, c.end, c.year, c.yday, c.dayNum
}

func (c *calendar) fill(x int64) {
	loc := c.loc
	if loc == nil {
		loc = time.UTC
	}
	t := time.Unix(0, x).In(loc)
	y, m, d := t.Date()
	s := time.Date(y, m, d, 0, 0, 0, 0, loc)
	c.start, c.end = s.UnixNano(), s.AddDate(0, 0, 1).UnixNano()
	c.year, c.yday = y, t.YearDay()
	c.dayNum = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// unit is one calendar hour or day in which exceedances are counted. It covers the slot
// times in (start, end]: a value is labelled by the end of the interval it represents, so the
// reading at 00:00 belongs to the day before (research: VN hourly values are labelled by the
// end of the hour; EU days run 00:00–24:00).
type unit struct {
	start, end int64
	year       int
	index      int // hour or day of the year, 0-based
}

// unitOf returns the hour (hourly) or day holding the slot time ts.
func (c *calendar) unitOf(ts int64, hourly bool) unit {
	start, end, year, yday, _ := c.day(ts - 1)
	if !hourly {
		return unit{start: start, end: end, year: year, index: yday - 1}
	}
	h := (ts - 1 - start) / int64(time.Hour)
	s := start + h*int64(time.Hour)
	e := min(s+int64(time.Hour), end)
	return unit{start: s, end: e, year: year, index: (yday-1)*24 + int(h)}
}
