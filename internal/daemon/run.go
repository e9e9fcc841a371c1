package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

// Run runs until ctx is done or a part fails, then drains as described in the package doc and
// returns the first failure (nil after a clean stop). Run may be called once.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.close()
	// hard ends the drain: what is not durable by then stays unacknowledged.
	hard, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	httpCtx, httpStop := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := d.http.Run(httpCtx); err != nil {
			return fmt.Errorf("HTTP server on %s: %w", d.http.Addr(), err)
		}
		return nil
	})
	g.Go(func() error {
		defer httpStop() // the HTTP server goes last: /metrics shows the drain
		return d.runMessages(gctx, hard, hardStop)
	})
	return g.Wait()
}

// runMessages runs the message path — sink, rule rebuild, pipeline, source — until ctx is
// done or one of them fails, then stops it source-first.
func (d *Daemon) runMessages(ctx, hard context.Context, hardStop func()) error {
	sinkDone := make(chan error, 1)
	go func() { sinkDone <- d.sink.Run(hard) }()
	var srcErr, pipeErr error
	staleDone := make(chan struct{})
	if d.rebuild(ctx) != nil {
		close(staleDone)
	} else {
		pipeDone := make(chan error, 1)
		go func() { pipeDone <- d.pipeline.Run(hard, d.source.Messages()) }()
		stopQC := d.startQC()
		go func() { d.refreshStale(ctx, d.staleEvery); close(staleDone) }()
		d.log.Info("quantrac running", "source", d.cfg.Source, "broker", d.brokerName(), "influx", d.cfg.Influx.URL,
			"stations", d.registry.Load().Len(), "web", d.http.Addr())
		if srcErr = d.source.Run(ctx); srcErr != nil {
			srcErr = fmt.Errorf("message source: %w", srcErr)
		}
		d.log.Info("stopping: draining messages already taken", "timeout", d.opts.DrainTimeout)
		timer := time.AfterFunc(d.opts.DrainTimeout, func() {
			d.log.Warn("drain timeout; leaving the rest unacknowledged for the broker to redeliver")
			hardStop()
		})
		defer timer.Stop()
		if pipeErr = <-pipeDone; pipeErr != nil && hard.Err() == nil {
			pipeErr = fmt.Errorf("pipeline: %w", pipeErr)
		} else {
			pipeErr = nil // a drain cut short by the timeout is not a failure
		}
		stopQC() // after the pipeline: the last readings are checked too
	}
	d.sink.Close()
	sinkErr := <-sinkDone
	<-staleDone
	// Every message settled: the marks the drain added are kept, and the figures of every
	// settled station are all it saw.
	d.saveStale()
	d.saveFigures()
	d.source.Close()
	d.log.Info("stopped")
	return errors.Join(srcErr, pipeErr, sinkErr)
}
