package derive

import (
	"context"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
)

// aqiLookback is how much history the AQI trackers need: the previous day's daily index
// reaches back 55 hours (rules/aqi).
const aqiLookback = 56 * time.Hour

// Rebuild restores the rules engine's windows and the AQI trackers from stored readings after
// a restart. It emits nothing: what was derived before the restart is in InfluxDB already.
func (d *Deriver) Rebuild(ctx context.Context, h rules.History, now time.Time) error {
	if err := d.engine.Rebuild(ctx, h, now); err != nil {
		return err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for station, sa := range d.aqi {
		sa.mu.Lock()
		var newest time.Time
		err := h.Readings(ctx, station, now.Add(-aqiLookback), func(r quantrac.Reading) {
			if r.Valid() {
				sa.tracker.Observe(r.Param, r.Time, r.Value)
				if r.Time.After(newest) {
					newest = r.Time
				}
			}
		})
		if err == nil {
			// The hour and day of the newest stored reading were emitted before the restart;
			// a reading in a later hour emits again (an index written twice lands on the
			// same point).
			if !newest.IsZero() {
				l := newest.In(sa.loc)
				sa.lastHour = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, sa.loc)
				sa.lastDay = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, sa.loc)
			}
			for _, s := range sa.schemes {
				if idx, ok := sa.tracker.Hourly(s, now); ok {
					sa.latest[key{s, PeriodHourly}] = idx
				}
				if idx, ok := sa.tracker.Daily(s, now); ok {
					sa.latest[key{s, PeriodDaily}] = idx
				}
			}
		}
		sa.mu.Unlock()
		if err != nil {
			return fmt.Errorf("derive: rebuilding AQI of %s: %w", station, err)
		}
	}
	return nil
}
