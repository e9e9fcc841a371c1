package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/retry"
)

// rebuild restores rule state and AQI trackers from InfluxDB before any message is consumed,
// so that a violation in progress before a restart is still in progress after it (and is not
// started a second time). The spool is drained first: what it holds was acknowledged and
// belongs to the history. Both wait for InfluxDB as long as it takes — the broker keeps the
// messages meanwhile — and /readyz says why. It returns only ctx's error.
func (d *Daemon) rebuild(ctx context.Context) error {
	if err := d.waitSpoolDrained(ctx); err != nil {
		return err
	}
	if err := d.loadQC(ctx); err != nil {
		return err
	}
	if d.cfg.Source == config.SourceNATS {
		// A consumer group member rebuilds the stations of each partition when it acquires
		// it (acquire), not every station at start; a standby acquires none.
		d.engine.RebuildOnDemand()
		d.rebuilt.Store(true)
		return nil
	}
	h := d.history()
	d.loadFigures()
	b := retry.Backoff{First: time.Second, Max: 30 * time.Second}
	for {
		start := time.Now()
		err := d.derive.Rebuild(ctx, h, start)
		if err == nil {
			d.loadStale()
			d.rebuilt.Store(true)
			d.log.Info("rule state rebuilt from InfluxDB", "took", time.Since(start).Round(time.Millisecond), "active_violations", len(d.engine.Active()))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		delay := b.Next()
		d.log.Error("cannot rebuild rule state from InfluxDB; not consuming messages until it can (the broker keeps them)", "err", err, "retry_in", delay)
		if !retry.Wait(ctx, delay) {
			return ctx.Err()
		}
	}
}

// waitSpoolDrained waits until the spool has replayed everything into InfluxDB.
func (d *Daemon) waitSpoolDrained(ctx context.Context) error {
	if d.spool.Len() == 0 {
		return nil
	}
	d.log.Info("replaying the spool into InfluxDB before rebuilding rule state", "records", d.spool.Len(), "bytes", d.spool.Bytes())
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for d.spool.Len() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// rulesReady holds once the rule state is rebuilt.
func (d *Daemon) rulesReady(context.Context) error {
	if !d.rebuilt.Load() {
		return errors.New("rebuilding rule state from InfluxDB (after the spool is replayed); messages wait in the broker")
	}
	return nil
}
