package derive

import (
	"context"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/rules/aqi"
)

// trackerReach is how far back a station's tracker is fed when it is replaced: the hours it
// keeps (rules' base look-back reads as many).
const trackerReach = 56 * time.Hour

// Revise follows a change of the data's validity at a station from instant from on (a
// data-quality span added or revoked): it feeds a new tracker the station's stored hours from
// h (which leaves the invalid readings out), returns the indices of every complete hour and
// day from the one holding from on, computed again, and keeps the new tracker as the
// station's. An index written again lands on the same point. An hour or day that no longer
// has an index keeps the one stored before (README "Data quality"). Call it once every message
// of the station is stored, as the engine re-judges (rules.Engine.Stale).
func (d *Deriver) Revise(ctx context.Context, h rules.History, station string, from, now time.Time) ([]quantrac.Index, error) {
	d.mu.RLock()
	sa := d.aqi[station]
	d.mu.RUnlock()
	if sa == nil {
		return nil, nil
	}
	sa.mu.Lock()
	defer sa.mu.Unlock()
	if sa.lastHour.IsZero() {
		return nil, nil // nothing emitted yet: the next readings emit what they complete
	}
	first := hourOf(from.Add(time.Nanosecond), sa.loc)
	since := dayOf(first).Add(-12 * time.Hour) // a NowCast weighs 12 hours, a day's 8 h means reach 7 back
	if back := now.Add(-trackerReach); back.Before(since) {
		since = back
	}
	tr := aqi.NewTracker(sa.loc)
	tr.MinPerHour = sa.tracker.MinPerHour
	var out []quantrac.Index
	nextHour, nextDay := first.Add(time.Hour), dayOf(first).AddDate(0, 0, 1)
	emit := func(before time.Time) { // the hours and days ending before it: all their hours are fed
		for ; nextHour.Before(before) && !nextHour.After(sa.lastHour); nextHour = nextHour.Add(time.Hour) {
			out = sa.put(station, tr, PeriodHourly, nextHour, true, out)
		}
		for ; nextDay.Before(before) && !nextDay.After(sa.lastDay); nextDay = nextDay.AddDate(0, 0, 1) {
			out = sa.put(station, tr, PeriodDaily, nextDay, true, out)
		}
	}
	_, off := first.Zone()
	q := rules.AggregateQuery{Kind: quantrac.Air, Stations: []string{station}, Since: since, Width: time.Hour,
		Phase: time.Duration(((-off)%3600+3600)%3600) * time.Second, Fields: slices.Sorted(slices.Values(aqi.Pollutants()))}
	err := h.Aggregates(ctx, q, func(a rules.Aggregate) error {
		emit(a.End)
		tr.ObserveHour(a.Param, a.End, a.Sum, a.Count)
		return nil
	})
	if err != nil {
		return nil, err
	}
	emit(sa.lastHour.AddDate(0, 0, 2))
	sa.tracker = tr
	return out, nil
}
