package daemon

import (
	"context"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
)

// staleEvery is how often the daemon closes the periods the wall clock ends (rules.Engine.Tick)
// and looks for stations whose closed periods must be re-judged.
const staleEvery = 5 * time.Second

// refreshStale keeps the verdicts a view of the stored readings (README "Evaluation"): every
// tick it closes the periods of stations that fell silent (limits.close_delay after their
// end), and re-judges from InfluxDB the stations a late, reordered or backfilled reading made
// stale (rules.Engine.Stale), writing the corrections of their record (rules.Engine.Drain).
// A station is re-judged once every message of it the engine took is settled (rules.Engine.Stale
// says which), and only while the spool is empty: InfluxDB then holds every reading the engine
// saw. It returns when ctx is done.
func (d *Daemon) refreshStale(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d.writeDerived(ctx, append(d.engine.Tick(time.Now()), d.engine.Drain()...)) // closures, reload ends
		if d.spool.Len() > 0 {
			continue // spooled readings are not in InfluxDB yet
		}
		due := d.engine.Stale()
		if len(due) == 0 {
			continue
		}
		start := time.Now()
		if err := d.engine.RebuildStations(ctx, d.history(), start, due); err != nil {
			d.log.Error("cannot re-judge stations from InfluxDB; retrying", "stations", sample(due, 20), "err", err)
			continue
		}
		corrections := d.engine.Drain()
		d.writeDerived(ctx, corrections)
		d.log.Info("stations re-judged from InfluxDB", "stations", sample(due, 20), "corrections", len(corrections),
			"took", time.Since(start).Round(time.Millisecond))
	}
}

// writeDerived stores transitions that no message carries (a wall-clock closure, the
// corrections of a re-judged record): they need no acknowledgement. A crash before they are
// durable leaves the record as it was until the station is next re-judged (README
// "Evaluation", limitations).
func (d *Daemon) writeDerived(ctx context.Context, trs []rules.Transition) {
	if len(trs) == 0 {
		return
	}
	if err := d.sink.Put(ctx, &quantrac.Envelope{Transitions: trs}); err != nil && ctx.Err() == nil {
		d.log.Error("cannot store derived exceedance transitions", "transitions", len(trs), "err", err)
	}
}
