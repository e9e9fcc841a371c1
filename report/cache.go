package report

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
)

// Limits of a Cache.
const (
	// BuildSlots is the reports built at once: a report of 2,000 stations takes seconds and
	// tens of MB, and shares InfluxDB with the writes.
	BuildSlots = 2
	// QueuedBuilds is the requests that may wait for a slot (each until its client gives up);
	// one more is refused with ErrBusy.
	QueuedBuilds = 16
	// RetryAfter is what a refused client is told to wait.
	RetryAfter = 10 * time.Second
	// cachedReports and cachedStations bound the reports kept and their station sections
	// (~3 to 8 KB each: 10,000 are five reports of 2,000 stations); the least recently used
	// goes first, and a report larger than the bound is kept alone.
	cachedReports  = 64
	cachedStations = 10000
	// zoneReach is how far from UTC a station's month may reach (UTC-12 to UTC+14).
	zoneReach = 14 * time.Hour
)

// ErrBusy is the error of a request for a report while every build slot is taken and the
// queue is full.
var ErrBusy = errors.New("every report slot is busy and the queue is full: retry later")

// BuildFunc builds a report (Builder.Build).
type BuildFunc func(ctx context.Context, m Month, station string, now time.Time) (*Report, error)

// Cache serves reports for the console and the API: at most BuildSlots are built at once, and
// a report of a month that has ended everywhere is kept until this process writes a point
// dated on or before the month's last day (Changes), or the registry is reloaded; requests
// for a report being built wait for that build. The current month, still moving, is always
// built afresh. A kept report states when it was generated.
type Cache struct {
	build    BuildFunc
	registry func() *quantrac.Registry
	changes  *Changes // nil: nothing is kept
	slots    chan struct{}
	queue    chan struct{}

	mu       sync.Mutex
	entries  map[cacheKey]*entry
	stations int                        // station sections in entries
	building map[cacheKey]chan struct{} // closed when the build of the key is over
}

type cacheKey struct {
	month   Month
	station string
}

type entry struct {
	r        *Report
	registry *quantrac.Registry
	seq      uint64 // changes.Seq() before the build
	used     time.Time
}

// NewCache returns a cache over build; changes nil keeps nothing (only the build slots apply).
func NewCache(build BuildFunc, registry func() *quantrac.Registry, changes *Changes) *Cache {
	return &Cache{build: build, registry: registry, changes: changes, slots: make(chan struct{}, BuildSlots),
		queue: make(chan struct{}, QueuedBuilds), entries: map[cacheKey]*entry{}, building: map[cacheKey]chan struct{}{}}
}

// Report returns the report of month m for station ("" for all), kept or built. Reports are
// shared: the caller must not change them.
func (c *Cache) Report(ctx context.Context, m Month, station string, now time.Time) (*Report, error) {
	k := cacheKey{m, station}
	keep := c.changes != nil && !now.Before(monthEnd(m))
	if keep {
		r, done, err := c.join(ctx, k, now)
		if r != nil || err != nil {
			return r, err
		}
		defer done()
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var seq uint64
	if keep {
		seq = c.changes.Seq()
	}
	reg := c.registry()
	r, err := c.build(ctx, m, station, now)
	if err == nil && keep && !r.Provisional {
		c.store(k, &entry{r: r, registry: reg, seq: seq, used: now})
	}
	return r, err
}

// join returns the kept report of k, or waits for the build of k under way and looks again;
// when neither, it marks k as being built by the caller, who calls done after storing it.
func (c *Cache) join(ctx context.Context, k cacheKey, now time.Time) (r *Report, done func(), err error) {
	for {
		if r := c.lookup(k, now); r != nil {
			return r, nil, nil
		}
		c.mu.Lock()
		wait := c.building[k]
		if wait == nil {
			ch := make(chan struct{})
			c.building[k] = ch
			c.mu.Unlock()
			return nil, func() {
				c.mu.Lock()
				delete(c.building, k)
				c.mu.Unlock()
				close(ch)
			}, nil
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// monthEnd is when month m has ended in every time zone.
func monthEnd(m Month) time.Time {
	_, end := m.Bounds(time.UTC)
	return end.Add(zoneReach)
}

// Waiting returns the requests waiting for a build slot.
func (c *Cache) Waiting() int { return len(c.queue) }

// acquire takes a build slot, waiting in the queue until ctx is done; ErrBusy when the queue
// is full.
func (c *Cache) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-c.slots }
	select {
	case c.slots <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case c.queue <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-c.queue }()
	select {
	case c.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lookup returns the kept report of k if nothing it counts has changed since it was built.
func (c *Cache) lookup(k cacheKey, now time.Time) *Report {
	if c.changes == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	if e == nil {
		return nil
	}
	if e.registry != c.registry() || c.changes.Since(e.seq, monthEnd(k.month)) {
		c.drop(k)
		return nil
	}
	e.used = now
	return e.r
}

func (c *Cache) store(k cacheKey, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(k)
	for len(c.entries) > 0 && (len(c.entries) >= cachedReports || c.stations+len(e.r.Stations) > cachedStations) {
		var oldest cacheKey
		var t time.Time
		for key, x := range c.entries {
			if t.IsZero() || x.used.Before(t) {
				oldest, t = key, x.used
			}
		}
		c.drop(oldest)
	}
	c.entries[k] = e
	c.stations += len(e.r.Stations)
}

// drop forgets the report of k; c.mu is held.
func (c *Cache) drop(k cacheKey) {
	if e := c.entries[k]; e != nil {
		c.stations -= len(e.r.Stations)
		delete(c.entries, k)
	}
}
