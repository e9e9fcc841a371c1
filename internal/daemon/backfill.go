package daemon

import (
	"context"
	"slices"
	"time"
)

// staleEvery is how often the daemon looks for stations a backfill or a reload made stale.
const staleEvery = 30 * time.Second

// refreshStale rebuilds from InfluxDB the stations whose rule state a backfill (a reading for
// an hour the engine no longer holds) or a registry reload made incomplete (rules.Engine.Stale),
// so that the periods and verdicts that depend on such readings are recomputed from the stored
// data (DESIGN §7). A station is rebuilt one tick after it was first seen stale, and only while
// the spool is empty: by then the readings that made it stale are in InfluxDB. It returns when
// ctx is done.
func (d *Daemon) refreshStale(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var seen []string // stale at the previous tick
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if d.spool.Len() > 0 {
			continue // spooled readings are not in InfluxDB yet
		}
		stale := d.engine.Stale()
		due := slices.DeleteFunc(slices.Clone(stale), func(id string) bool { return !slices.Contains(seen, id) })
		seen = stale
		if len(due) == 0 {
			continue
		}
		start := time.Now()
		if err := d.derive.RebuildStations(ctx, d.history(), start, due); err != nil {
			d.log.Error("cannot rebuild backfilled stations from InfluxDB; retrying", "stations", sample(due, 20), "err", err)
			continue
		}
		d.log.Info("backfilled stations rebuilt from InfluxDB", "stations", sample(due, 20), "took", time.Since(start).Round(time.Millisecond))
	}
}
