package report

import (
	"bytes"
	"sync"
	"time"
)

// maxChangedDays bounds the days Changes remembers; past it, it forgets them all and treats
// every report built until then as stale.
const maxChangedDays = 20000

const nsPerDay = int64(24 * time.Hour)

// Changes records the UTC days of the points this process writes to InfluxDB, so that a
// report built before a write with a point inside its period is known to be stale. It sees
// only this process's writes: where others write to the same database (the other members of
// a NATS cluster), reports must not be cached on it.
type Changes struct {
	mu    sync.Mutex
	seq   uint64           // bodies recorded so far
	days  map[int64]uint64 // Unix day → seq of the last body with a point in it
	floor uint64           // what was built before it is stale (days was emptied then)
}

// NewChanges returns an empty record.
func NewChanges() *Changes { return &Changes{days: map[int64]uint64{}} }

// Wrote records a body of line protocol written to InfluxDB, or tried: the day of each point's
// time, now's for a point without one. Call it once the write returned, so that a report
// built after Wrote sees the points.
func (c *Changes) Wrote(body []byte, now time.Time) {
	var days [4]int64
	touched := days[:0]
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		d := pointDay(line, now)
		if len(touched) == 0 || touched[len(touched)-1] != d {
			touched = appendDay(touched, d)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if len(c.days)+len(touched) > maxChangedDays {
		clear(c.days)
		c.floor = c.seq
	}
	for _, d := range touched {
		c.days[d] = c.seq
	}
}

// Changed records a change dated t that is not a point this process wrote (a data-quality
// span, an approval): the reports kept of months that end on or after t's day are built again.
func (c *Changes) Changed(t time.Time) {
	d := unixDay(t.UnixNano())
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if len(c.days) >= maxChangedDays {
		clear(c.days)
		c.floor = c.seq
	}
	c.days[d] = c.seq
}

// pointDay returns the Unix day of a line's timestamp (nanoseconds, its last field), or of now.
func pointDay(line []byte, now time.Time) int64 {
	end := len(line)
	for end > 0 && (line[end-1] == ' ' || line[end-1] == '\r') {
		end--
	}
	start := end
	for start > 0 && line[start-1] != ' ' {
		start--
	}
	ns, ok := parseNanos(line[start:end])
	if !ok || start == 0 {
		ns = now.UnixNano()
	}
	return unixDay(ns)
}

// unixDay returns the Unix day of a time in nanoseconds since 1970.
func unixDay(ns int64) int64 {
	d := ns / nsPerDay
	if ns < 0 && ns%nsPerDay != 0 {
		d--
	}
	return d
}

// parseNanos parses a line protocol timestamp: an optional minus and at most 19 digits.
func parseNanos(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 || len(b) == 19 && string(b) > "9223372036854775807" {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func appendDay(days []int64, d int64) []int64 {
	for _, x := range days {
		if x == d {
			return days
		}
	}
	return append(days, d)
}

// Seq returns the bodies recorded so far: a report built from now on is current as of it.
func (c *Changes) Seq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// Since reports whether a body recorded after seq held a point on or before t's day.
func (c *Changes) Since(seq uint64, t time.Time) bool {
	last := t.UnixNano() / nsPerDay
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq < c.floor {
		return true
	}
	for d, s := range c.days {
		if s > seq && d <= last {
			return true
		}
	}
	return false
}
