package rules

import (
	"time"
)

// hourNs is one hour in nanoseconds.
const hourNs = int64(time.Hour)

// HourEnd returns the end of the clock hour of loc that holds instant t. Hours are the
// station's local clock hours labelled by their end, and each covers (end − 1 h, end]: a
// reading stamped 00:00:01 … 01:00:00 belongs to the hour ending 01:00, so a 5-minute value
// stamped 01:00 (covering 00:55–01:00) closes that hour. The local calendar day of an hour is
// the local date of HourEnd − 1 ns (hours ending 01:00 … 24:00), see Day. In InfluxQL these are
// the buckets of GROUP BY time(1h, 1ns), shifted by the zone's offset modulo one hour for zones
// such as +05:30 (rules/README.md, "Evaluation").
func HourEnd(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	_, off := t.In(loc).Zone()
	c := calendar{loc: loc, sub: subHour(off)}
	return time.Unix(0, c.end(c.hourOf(t.UnixNano()))).In(loc)
}

// Day returns the local midnight that starts the calendar day holding instant t under the
// hour-end rule: 00:00 itself belongs to the day before (it ends that day's last hour).
func Day(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	d := HourEnd(t, loc).Add(-time.Nanosecond).In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// subHour is a zone offset (seconds) modulo one hour, in ns: 0 for whole-hour zones,
// 30 min for +05:30.
func subHour(off int) int64 { return (int64(off)%3600 + 3600) % 3600 * int64(time.Second) }

// calendar numbers the clock hours of one station's zone and maps them to local days and
// years, caching the current day so that the hot path does not call time.In per reading.
// Hour id h ends at h·1h − sub (Unix ns); ids are consecutive.
type calendar struct {
	loc *time.Location
	sub int64 // the zone's offset modulo one hour, ns

	// the cached day: hours first … last (ending 01:00 … 24:00) of local day `day` of `year`
	first, last int64
	day         int64 // days since 1970-01-01 of the local date
	year        int
}

func newCalendar(loc *time.Location) calendar {
	if loc == nil {
		loc = time.UTC
	}
	// The zone's sub-hour offset: taken once (no zone in use changed it in this century).
	_, off := time.Date(2025, 1, 1, 0, 0, 0, 0, loc).Zone()
	return calendar{loc: loc, sub: subHour(off), first: 1}
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// hourOf returns the id of the hour holding instant t (Unix ns).
func (c *calendar) hourOf(t int64) int64 { return ceilDiv(t+c.sub, hourNs) }

// end returns the end of hour h (Unix ns).
func (c *calendar) end(h int64) int64 { return h*hourNs - c.sub }

// closedHour returns the newest hour that is closed at clock: its end is at or before clock.
func (c *calendar) closedHour(clock int64) int64 { return floorDiv(clock+c.sub, hourNs) }

// fillHour caches the day holding hour h.
func (c *calendar) fillHour(h int64) {
	if h >= c.first && h <= c.last {
		return
	}
	t := time.Unix(0, c.end(h)-1).In(c.loc)
	c.fillDate(t.Year(), t.Month(), t.Day())
}

func (c *calendar) fillDate(y int, m time.Month, d int) {
	start := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	next := time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
	c.first, c.last = c.hourOf(start.UnixNano()+1), c.hourOf(next.UnixNano())
	c.day = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	c.year = y
}

// dayOf returns the local day (days since 1970-01-01) holding hour h.
func (c *calendar) dayOf(h int64) int64 {
	c.fillHour(h)
	return c.day
}

// dayHours returns the first and last hour of local day d and its year.
func (c *calendar) dayHours(d int64) (first, last int64, year int) {
	if d != c.day || c.first > c.last {
		y, m, dd := time.Unix(d*86400, 0).UTC().Date()
		c.fillDate(y, m, dd)
	}
	return c.first, c.last, c.year
}

// dayEnd returns the end of local day d (Unix ns): the end of its last hour.
func (c *calendar) dayEnd(d int64) int64 {
	_, last, _ := c.dayHours(d)
	return c.end(last)
}

// yearOfDay returns the year of local day d.
func (c *calendar) yearOfDay(d int64) int {
	_, _, y := c.dayHours(d)
	return y
}

// yearDays returns the first and last local day of year y.
func (c *calendar) yearDays(y int) (first, last int64) {
	first = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400
	last = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()/86400 - 1
	return first, last
}

// yearHours returns the first and last hour of year y.
func (c *calendar) yearHours(y int) (first, last int64) {
	fd, ld := c.yearDays(y)
	first, _, _ = c.dayHours(fd)
	_, last, _ = c.dayHours(ld)
	return first, last
}

// yearHoursFirst returns the first hour of year y.
func (c *calendar) yearHoursFirst(y int) int64 {
	first, _ := c.yearHours(y)
	return first
}
