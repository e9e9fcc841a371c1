package natsjs

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/quantrac/quantrac/internal/retry"
)

// owner tracks which partitions this instance has taken over, so that the stations of a
// partition are rebuilt (OnAcquire) before the first of their messages is delivered.
//
// A partition is acquired once per pin: the server pins one instance of the member at a
// time and tags every message with that pin's id. A new pin id means that this instance
// just became the member's pinned instance (at start, after another instance died, or after
// the member's consumer was re-created for a membership change), and that any state it held
// for its partitions may have been updated by another instance meanwhile: every partition is
// acquired again. A partition the group's configuration takes away from the member is
// forgotten too (onRelease), so that getting it back acquires it again.
type owner struct {
	part      Partitioning
	onAcquire func(ctx context.Context, partitions []int) error
	onRelease func(partitions []int)
	log       *slog.Logger
	m         *metrics

	mu    sync.Mutex // held across onAcquire: delivery waits for it
	pin   string
	ready map[int]bool
	owned []int // the member's partitions, as last read from the group's configuration
}

// partitionOf returns the partition of a station subject, or -1 for a subject outside the
// partitioning filter.
func (o *owner) partitionOf(subject string) int {
	st := o.part.stationOf(subject)
	if st == "" {
		return -1
	}
	return o.part.Partition(st)
}

// acquire makes sure partition p has been acquired under pin before its message m is
// delivered. While onAcquire fails it retries, telling the server the message is still in
// progress so that it is not delivered again meanwhile. It returns false when ctx is done
// first.
func (o *owner) acquire(ctx context.Context, pin string, p int, m jetstream.Msg) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if pin != o.pin {
		if o.pin != "" || len(o.ready) > 0 {
			o.log.Info("pinned for the member's partitions again: their stations are rebuilt", "previous_pin", o.pin, "pin", pin)
		}
		o.pin = pin
		clear(o.ready)
	}
	if p < 0 || o.ready[p] {
		return true
	}
	parts := []int{p}
	for _, q := range o.owned {
		if q != p && !o.ready[q] {
			parts = append(parts, q)
		}
	}
	slices.Sort(parts)
	if o.onAcquire != nil {
		b := retry.Backoff{First: 500 * time.Millisecond, Max: 10 * time.Second}
		for {
			start := time.Now()
			err := o.onAcquire(ctx, parts)
			if err == nil {
				o.log.Info("acquired partitions", "partitions", parts, "took", time.Since(start).Round(time.Millisecond))
				break
			}
			d := b.Next()
			o.log.Error("acquiring partitions failed; delivery of their messages waits", "partitions", parts, "err", err, "retry_in", d)
			_ = m.InProgress()
			if !retry.Wait(ctx, d) {
				return false
			}
		}
	}
	for _, q := range parts {
		o.ready[q] = true
	}
	o.m.acquisitions.Add(float64(len(parts)))
	return true
}

// setOwned records the member's partitions from the group's configuration; partitions no
// longer owned are released, and will be acquired again if they come back.
func (o *owner) setOwned(owned []int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var gone []int
	for q := range o.ready {
		if !slices.Contains(owned, q) {
			gone = append(gone, q)
		}
	}
	o.release(gone)
	o.owned = owned
}

// unpinned releases every partition acquired under pin: another instance of the member is
// pinned now, and a message under a new pin will acquire them again.
func (o *owner) unpinned(pin string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pin != pin {
		return
	}
	gone := make([]int, 0, len(o.ready))
	for q := range o.ready {
		gone = append(gone, q)
	}
	o.release(gone)
	o.pin = ""
}

// release forgets the partitions gone and tells onRelease; o.mu is held.
func (o *owner) release(gone []int) {
	if len(gone) == 0 {
		return
	}
	slices.Sort(gone)
	for _, q := range gone {
		delete(o.ready, q)
	}
	o.log.Info("released partitions", "partitions", gone)
	if o.onRelease != nil {
		o.onRelease(gone)
	}
}

// currentPin is the pin id of the last message received.
func (o *owner) currentPin() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pin
}
