package daemon

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	lastFigures := time.Now()
	for {
		select {
		case <-ctx.Done():
			d.saveStale() // kept for the next start: the readings that made them stale are stored
			return
		case <-tick.C:
		}
		d.saveStale()
		if time.Since(lastFigures) >= figuresEvery {
			d.saveFigures()
			lastFigures = time.Now()
		}
		d.refreshQC(ctx) // spans written elsewhere mark their stations stale
		// Each its own write: its acknowledgement settles each station among them once.
		d.writeDerived(ctx, d.engine.Tick(time.Now())) // periods the wall clock closed
		d.writeDerived(ctx, d.engine.Drain())          // reload ends, corrections
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
		d.reviseAQI(ctx, due)
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
	var stations []string
	for i := range trs {
		if !slices.Contains(stations, trs[i].Station) {
			stations = append(stations, trs[i].Station)
		}
	}
	ack := func() { // the record holds them: their stations may be re-judged again
		for _, st := range stations {
			d.engine.Settled(st)
		}
	}
	if err := d.sink.Put(ctx, &quantrac.Envelope{Transitions: trs, Ack: ack}); err != nil && ctx.Err() == nil {
		d.log.Error("cannot store derived exceedance transitions", "transitions", len(trs), "err", err)
	}
}

// staleFile is where the stations waiting to be re-judged are kept across a restart, in the
// spool directory: one "station since" line each (since RFC 3339, or "-" for the periods held).
// staleJournal follows it between two writes: the marks of messages acknowledged since.
const (
	staleFile    = "stale-stations"
	staleJournal = "stale-stations.journal"
)

// saveStale writes the stations waiting to be re-judged (every tick) when they changed since
// the last write, and empties the journal the write includes.
func (d *Daemon) saveStale() {
	d.staleMu.Lock()
	defer d.staleMu.Unlock()
	var b strings.Builder
	for _, m := range d.engine.StaleMarks() {
		b.WriteString(staleLine(m))
	}
	path := filepath.Join(d.cfg.Spool.Dir, staleFile)
	if b.String() != d.staleSaved {
		if err := os.WriteFile(path+".tmp", []byte(b.String()), 0o600); err != nil {
			d.log.Error("cannot keep the stations waiting to be re-judged", "file", path, "err", err)
			return
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			d.log.Error("cannot keep the stations waiting to be re-judged", "file", path, "err", err)
			return
		}
		d.staleSaved = b.String()
	}
	if d.staleJournaled {
		if err := os.Truncate(filepath.Join(d.cfg.Spool.Dir, staleJournal), 0); err == nil {
			d.staleJournaled = false
		}
	}
}

// journalStale appends a station's new stale mark to the journal before the message that made
// it is acknowledged (derive.Deriver.KeepStale): a crash then loses no mark whose message the
// broker will not redeliver. One short append per mark, whatever the number of stations.
func (d *Daemon) journalStale(m rules.StaleMark) {
	d.staleMu.Lock()
	defer d.staleMu.Unlock()
	path := filepath.Join(d.cfg.Spool.Dir, staleJournal)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		_, err = f.WriteString(staleLine(m))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		d.log.Error("cannot keep a station waiting to be re-judged", "file", path, "station", m.Station, "err", err)
		return
	}
	d.staleJournaled = true
}

func staleLine(m rules.StaleMark) string {
	since := "-"
	if !m.Since.IsZero() {
		since = m.Since.Format(time.RFC3339Nano)
	}
	return m.Station + " " + since + "\n"
}

// loadStale marks stale again the stations that waited to be re-judged when the last process
// stopped (the file, then its journal: a mark keeps the earliest time); the rebuild has made
// them known.
func (d *Daemon) loadStale() {
	for _, name := range []string{staleFile, staleJournal} {
		data, err := os.ReadFile(filepath.Join(d.cfg.Spool.Dir, name))
		if err != nil {
			continue // none kept
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			station, since, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			t, _ := time.Parse(time.RFC3339Nano, since) // "-": zero, the periods held
			d.engine.MarkStale(station, t)
		}
	}
}
