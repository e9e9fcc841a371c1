package load

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/payload"
	"golang.org/x/sync/errgroup"
)

// Sink delivers the messages of the stations given to it. One goroutine uses a sink.
type Sink interface {
	// Send delivers one message. It may return before delivery is confirmed; a returned
	// error ends the run.
	Send(ctx context.Context, m *sim.Message, payload []byte) error
	// Close waits until what was sent is confirmed or ctx ends, releases the sink and
	// reports the delivery counters (Sent, Acked, Failed, Status).
	Close(ctx context.Context) (Stats, error)
}

// Config describes a run.
type Config struct {
	Stations []*quantrac.Station // all simulated stations
	// Registry, when set, names the registered station a wrong_station message claims to be.
	Registry *quantrac.Registry
	Model    sim.Model
	Format   payload.Format
	Rate     float64       // total messages per second over all stations; ≤ 0: as fast as possible
	Duration time.Duration // stop producing after this long; 0: no limit
	Count    int64         // stop after this many data messages in total; 0: no limit
	// Start is the measurement time of each station's first message; Step the spacing of a
	// station's measurement times.
	Start time.Time
	Step  time.Duration
	// Drain bounds how long Close may wait for confirmations at the end (default 30s).
	Drain time.Duration
	Now   func() time.Time // the wall clock (time.Now)
}

// Validate reports a configuration that cannot run.
func (c *Config) Validate() error {
	switch {
	case len(c.Stations) == 0:
		return errors.New("no stations")
	case c.Step <= 0:
		return errors.New("step must be positive")
	case c.Count < 0 || c.Duration < 0:
		return errors.New("count and duration must not be negative")
	case c.Now == nil:
		return errors.New("no clock")
	}
	return nil
}

// batchMax bounds how many messages a worker sends per token-bucket take.
const batchMax = 256

// Run sends messages until Count messages are sent, Duration has passed or ctx ends, then
// closes every sink and returns the counters. Station i goes to sinks[i % len(sinks)]; each
// sink gets the share of the rate its stations have. Elapsed and CPU are left to the caller.
func Run(ctx context.Context, cfg Config, sinks []Sink) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	if len(sinks) == 0 {
		return Stats{}, errors.New("no sinks")
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 30 * time.Second
	}
	produce := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		produce, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	workers := make([]*worker, len(sinks))
	for i, s := range sinks {
		workers[i] = &worker{cfg: &cfg, sink: s}
	}
	n := int64(len(cfg.Stations))
	for i, st := range cfg.Stations {
		quota := int64(-1)
		if cfg.Count > 0 {
			quota = cfg.Count / n
			if int64(i) < cfg.Count%n {
				quota++
			}
		}
		w := workers[i%len(sinks)]
		w.stations = append(w.stations, st)
		w.quota = append(w.quota, quota)
		w.other = append(w.other, cfg.Stations[(i+1)%len(cfg.Stations)].ID)
	}
	var g errgroup.Group
	for _, w := range workers {
		g.Go(func() error {
			err := w.run(ctx, produce)
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Drain)
			defer cancel()
			if ctx.Err() != nil {
				dctx, cancel = context.WithTimeout(dctx, time.Second)
				defer cancel()
			}
			st, cerr := w.sink.Close(dctx)
			w.stats.Add(st)
			return errors.Join(err, cerr)
		})
	}
	err := g.Wait()
	var total Stats
	for _, w := range workers {
		total.Add(w.stats)
	}
	return total, err
}

// worker produces the messages of one sink's stations.
type worker struct {
	cfg      *Config
	sink     Sink
	stations []*quantrac.Station
	quota    []int64  // messages per station, -1 unlimited
	other    []string // the station a wrong_station message of stations[i] names
	stats    Stats    // production counters (Readings, Bytes, Kinds)
}

// run produces until the quotas are met or produce ends. Only errors of the sink are returned.
func (w *worker) run(ctx, produce context.Context) error {
	cfg := w.cfg
	rate := cfg.Rate * float64(len(w.stations)) / float64(len(cfg.Stations))
	pacer := NewPacer(rate, cfg.Now())
	var (
		msg   sim.Message
		buf   []byte
		k     int64 // round: every station's k-th message
		i     int   // next station in the round
		timer *time.Timer
	)
	maxQuota := int64(-1)
	for _, q := range w.quota {
		maxQuota = max(maxQuota, q)
	}
	for maxQuota < 0 || k < maxQuota {
		if produce.Err() != nil {
			return nil
		}
		n, wait := pacer.Take(cfg.Now(), batchMax)
		if n == 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
				defer timer.Stop()
			} else {
				timer.Reset(wait)
			}
			select {
			case <-produce.Done():
				return nil
			case <-timer.C:
			}
			continue
		}
		for ; n > 0 && (maxQuota < 0 || k < maxQuota); i++ {
			if i == len(w.stations) {
				i, k = 0, k+1
				if maxQuota >= 0 && k >= maxQuota {
					break
				}
			}
			if q := w.quota[i]; q >= 0 && k >= q {
				continue
			}
			n--
			t := cfg.Start.Add(time.Duration(k) * cfg.Step)
			cfg.Model.Message(&msg, w.stations[i], t)
			if msg.Bad != sim.Good {
				msg.ApplyBad(cfg.Now(), w.other[i])
			} else {
				w.stats.Readings += int64(len(msg.Readings))
				for _, r := range msg.Readings {
					w.stats.Faults[r.Fault]++
				}
			}
			buf = cfg.Format.Encode(buf[:0], &msg)
			// The sink may keep the payload (paho stores it until acknowledged): give it a copy.
			p := make([]byte, len(buf))
			copy(p, buf)
			if err := w.sink.Send(ctx, &msg, p); err != nil {
				if ctx.Err() != nil {
					return nil // interrupted: not a failure of the sink
				}
				return fmt.Errorf("send %s: %w", msg.ID, err)
			}
			w.stats.Kinds[msg.Bad]++
			w.stats.Bytes += int64(len(p))
		}
	}
	return nil
}
