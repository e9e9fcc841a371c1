package derive

import (
	"context"
	"slices"
	"time"

	"github.com/quantrac/quantrac"

	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/rules/aqi"
)

// Rebuild restores the rules engine's state and the AQI trackers from InfluxDB after a
// restart, with the engine's queries: the trackers take the same hourly aggregates
// (rules.Engine.Rebuild reads at least the 56 hours they need), so a restart costs one
// aggregate query per measurement. It emits nothing: what was derived before the restart is
// in InfluxDB already. It may be called again after a failure; with a nil History everything
// starts empty.
func (d *Deriver) Rebuild(ctx context.Context, h rules.History, now time.Time) error {
	return d.RebuildStations(ctx, h, now, nil)
}

// RebuildStations is Rebuild for the given stations only (nil: all), e.g. those of the
// partitions a cluster member takes over; the other stations are left as they are.
func (d *Deriver) RebuildStations(ctx context.Context, h rules.History, now time.Time, ids []string) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	only := func(string) bool { return true }
	if ids != nil {
		set := make(map[string]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
		only = func(station string) bool { return set[station] }
	}
	for station, sa := range d.aqi {
		if !only(station) {
			continue
		}
		sa.mu.Lock()
		sa.tracker = aqi.NewTracker(sa.loc)
		sa.mu.Unlock()
	}
	newest := map[string]time.Time{}
	if h != nil {
		h = teeHistory{History: h, pollutants: aqi.Pollutants(), fn: func(a *rules.Aggregate) {
			if sa := d.aqi[a.Station]; sa != nil && only(a.Station) {
				sa.mu.Lock()
				sa.tracker.ObserveHour(a.Param, a.End, a.Sum, a.Count)
				sa.mu.Unlock()
				if a.End.After(newest[a.Station]) {
					newest[a.Station] = a.End
				}
			}
		}}
	}
	if err := d.engine.RebuildStations(ctx, h, now, ids); err != nil {
		return err
	}
	for station, sa := range d.aqi {
		if !only(station) {
			continue
		}
		sa.mu.Lock()
		sa.restored(newest[station], now)
		sa.mu.Unlock()
	}
	return nil
}

// restored sets what was emitted before the restart and the current indices: the hour and
// day of the newest stored reading were emitted then, and a reading in a later hour emits
// again (an index written twice lands on the same point).
func (sa *stationAQI) restored(newest, now time.Time) {
	if !newest.IsZero() {
		l := newest.Add(-time.Nanosecond).In(sa.loc)
		sa.lastHour = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, sa.loc)
		sa.lastDay = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, sa.loc)
		sa.nextHour = sa.lastHour.Add(time.Hour).UnixNano()
	}
	for _, s := range sa.schemes {
		if idx, ok := sa.tracker.Hourly(s, now); ok {
			sa.setLatest(key{s, PeriodHourly}, &idx, false)
		}
		if idx, ok := sa.tracker.Daily(s, now); ok {
			sa.setLatest(key{s, PeriodDaily}, &idx, false)
		}
	}
}

// teeHistory passes the hourly aggregates the engine reads to fn as well, asking for the
// pollutants too.
type teeHistory struct {
	rules.History
	pollutants []string
	fn         func(*rules.Aggregate)
}

func (t teeHistory) Aggregates(ctx context.Context, q rules.AggregateQuery, fn func(rules.Aggregate) error) error {
	if q.Fields != nil && q.Kind == quantrac.Air && q.Width == time.Hour { // and the pollutants of the indices
		for _, p := range t.pollutants {
			if !slices.Contains(q.Fields, p) {
				q.Fields = append(q.Fields, p)
			}
		}
		slices.Sort(q.Fields)
	}
	return t.History.Aggregates(ctx, q, func(a rules.Aggregate) error {
		if q.Width == time.Hour {
			t.fn(&a)
		}
		return fn(a)
	})
}
