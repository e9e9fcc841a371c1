package rules

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
)

// Transition is the start or the end of a violation with its evidence (quantrac.Transition).
type Transition = quantrac.Transition

// Engine evaluates readings against the limits of each station's regulations and permit. It is
// pure: time comes from the readings, and now (given to NewEngine) is read only to report
// station liveness. Its methods are safe for concurrent use.
//
// A new engine knows no station: their state is unknown until Rebuild (or RebuildStations)
// restores it from InfluxDB — Rebuild with a nil History starts them empty — and meanwhile
// nothing is judged or exported for them.
type Engine struct {
	cat *Catalog
	now func() time.Time

	closeDelay time.Duration // Tick closes periods that ended this long before the wall clock

	mu       sync.RWMutex // guards reg, stations, order and rebuilt; station states lock themselves
	reg      *quantrac.Registry
	stations map[string]*stationState
	order    []*stationState          // registry order
	rebuilt  bool                     // the last rebuild succeeded: quantrac_rules_rebuilt
	started  bool                     // a rebuild has succeeded once: stations added later start known
	removed  []Transition             // the ends of the episodes of stations a reload removed, for Drain
	figures  map[string]*savedStation // LoadFigures: taken by the first rebuild of each station
}

// NewEngine returns an engine for the stations of reg; now is the clock used at scrape time.
func NewEngine(cat *Catalog, reg *quantrac.Registry, now func() time.Time) *Engine {
	e := &Engine{cat: cat, now: now, stations: map[string]*stationState{}}
	e.SetRegistry(reg)
	return e
}

// SetRegistry swaps the station registry (SIGHUP). Stations and limits that remain keep their
// hours, alert state and counters; removed ones are dropped and their series disappear. A
// station added after the first rebuild starts empty and known, and is listed by Pending so
// that a RebuildStations can fill in its history; so is a station whose interval, zone or
// limits changed (new limits start without the years before the hours kept).
func (e *Engine) SetRegistry(reg *quantrac.Registry) {
	stations := make(map[string]*stationState, reg.Len())
	order := make([]*stationState, 0, reg.Len())
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, st := range reg.Stations() {
		ns := newStationState(st, e.cat)
		if old := e.stations[st.ID]; old != nil {
			ns.mu = old.mu
			old.mu.Lock()
			ns.migrate(old, e.now().UnixNano())
			old.mu.Unlock()
		} else if e.started {
			ns.known, ns.stale = true, true
		}
		stations[st.ID] = ns
		delete(e.stations, st.ID)
		for _, a := range st.Aliases {
			stations[a] = ns
		}
		order = append(order, ns)
	}
	for _, old := range e.order {
		if e.stations[old.st.ID] == old { // not in the new registry
			old.mu.Lock()
			e.removed = old.endAll(quantrac.EndStationRemoved, e.now().UnixNano(), e.removed)
			old.mu.Unlock()
		}
	}
	e.reg, e.stations, e.order = reg, stations, order
}

// Observe evaluates a batch of readings, which may hold several stations, and returns the
// transitions it caused in input order. Readings of unknown stations are ignored (ingest has
// rejected them). Invalid readings (status other than 00, or in maintenance) never enter an
// hour nor the last values; they only advance the station's last-seen time. A reading closes
// the periods that end at or before it (the station's clock is its newest valid reading);
// a late reading re-opens its hour, and the latest closed periods that depend on it are judged
// again once the station's readings of the batch are in (rules/README.md, "Evaluation").
func (e *Engine) Observe(rs []quantrac.Reading) []Transition {
	if !slices.IsSortedFunc(rs, byStationTime) {
		slices.SortStableFunc(rs, byStationTime) // a backlog newest first is judged in time order
	}
	var out []Transition
	e.mu.RLock()
	defer e.mu.RUnlock()
	var cur *stationState
	for i := range rs {
		r := &rs[i]
		if cur == nil || (r.Station != cur.st.ID && e.stations[r.Station] != cur) {
			if cur != nil {
				out = cur.flush(out)
				cur.mu.Unlock()
			}
			if cur = e.stations[r.Station]; cur == nil {
				continue
			}
			cur.mu.Lock()
			cur.observed++
		}
		out = cur.observe(r, out)
	}
	if cur != nil {
		out = cur.flush(out)
		cur.mu.Unlock()
	}
	return out
}

// SetCloseDelay sets how long after a period's end the wall clock closes it when the station
// has sent nothing newer (Tick); 0 leaves periods to the readings alone.
func (e *Engine) SetCloseDelay(d time.Duration) {
	e.mu.Lock()
	e.closeDelay = d
	e.mu.Unlock()
}

// Tick closes, at wall-clock time now, every period that ended more than the close delay ago
// at a station that sent nothing newer — a station fallen silent still has its hour and day
// judged — and returns the transitions that causes. Readings for those periods that come later
// (a backlog of old readings) re-judge them: once the burst is stored, one replay a station.
// The caller writes the transitions and calls Settled once for each station among them.
func (e *Engine) Tick(now time.Time) []Transition {
	var out []Transition
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closeDelay <= 0 {
		return nil
	}
	target := now.Add(-e.closeDelay).UnixNano()
	for _, s := range e.order {
		s.mu.Lock()
		if s.known && s.clock > 0 && target > s.clock {
			n := len(out)
			out = s.flush(out)
			out = s.advanceClock(target, out)
			if len(out) > n {
				s.observed++ // written by the caller: settled like a message (Settled)
			}
		}
		s.mu.Unlock()
	}
	return out
}

// MarkStale makes a station's periods from t on be re-judged from the stored readings (the
// store's word that readings it was given were refused by InfluxDB and quarantined: they must
// count in no verdict).
func (e *Engine) MarkStale(station string, t time.Time) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if s := e.stations[station]; s != nil {
		s.mu.Lock()
		if s.known {
			since := int64(0) // unknown: the periods held
			if !t.IsZero() {
				since = t.UnixNano()
			}
			s.markStale(since)
		}
		s.mu.Unlock()
	}
}

// Drain returns the transitions that re-judging stations (RebuildStations) queued — the
// corrections of their record, withdrawals included — and forgets them: the caller writes them
// and calls Settled once for each station among them when they are stored, as Tick's; until
// then the station is not re-judged again (it would read a record without them).
func (e *Engine) Drain() []Transition {
	var out []Transition
	e.mu.Lock()
	defer e.mu.Unlock()
	out, e.removed = e.removed, nil
	for _, s := range e.order {
		s.mu.Lock()
		if len(s.queued) > 0 {
			out = append(out, s.queued...)
			s.queued = nil
			s.observed++
		}
		s.mu.Unlock()
	}
	return out
}

// byStationTime orders readings by station, then time.
func byStationTime(a, b quantrac.Reading) int {
	return cmp.Or(strings.Compare(a.Station, b.Station), a.Time.Compare(b.Time))
}

// Active returns the violations in progress, each as the transition that started it, in
// registry order. Stations not yet rebuilt have none.
func (e *Engine) Active() []Transition {
	var out []Transition
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.order {
		s.mu.Lock()
		if s.known {
			for _, ser := range s.order {
				for i := range ser.rules {
					if r := &ser.rules[i]; r.alert == violating && r.active() != nil {
						out = append(out, *r.active())
					}
				}
			}
		}
		s.mu.Unlock()
	}
	return out
}

// SetStationStatus records what a station published on its status topic (its MQTT will says
// "offline" when its connection drops): an offline station is down at once, without waiting
// for three silent intervals; its next valid reading brings it up again.
func (e *Engine) SetStationStatus(station string, online bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if s := e.stations[station]; s != nil {
		s.mu.Lock()
		s.offline = !online
		s.mu.Unlock()
	}
}

// Pending returns the stations whose state needs a RebuildStations: not yet rebuilt, added by
// a reload, or given a reading for an hour the engine no longer holds (a backfill), in
// registry order.
func (e *Engine) Pending() []string {
	var out []string
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.order {
		s.mu.Lock()
		if !s.known || s.stale {
			out = append(out, s.st.ID)
		}
		s.mu.Unlock()
	}
	return out
}

// StaleMark is a station whose periods from Since on must be re-judged (Since zero: the
// periods held).
type StaleMark struct {
	Station string
	Since   time.Time
}

// StaleMarks returns the stations that wait to be re-judged, in registry order, so that the
// daemon can keep them across a restart (the marks live in memory only).
func (e *Engine) StaleMarks() []StaleMark {
	var out []StaleMark
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.order {
		s.mu.Lock()
		if s.known && s.stale {
			m := StaleMark{Station: s.st.ID}
			if s.staleSince != 0 {
				m.Since = time.Unix(0, s.staleSince).UTC()
			}
			out = append(out, m)
		}
		s.mu.Unlock()
	}
	return out
}

// StaleMark returns the station's stale mark, if it waits to be re-judged.
func (e *Engine) StaleMark(station string) (StaleMark, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.stations[station]
	if s == nil {
		return StaleMark{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known || !s.stale {
		return StaleMark{}, false
	}
	m := StaleMark{Station: station}
	if s.staleSince != 0 {
		m.Since = time.Unix(0, s.staleSince).UTC()
	}
	return m, true
}

// Settled tells the engine that the store settled one message of the station that Observe
// took (its data durable, or quarantined): the station's stored readings include it.
func (e *Engine) Settled(station string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if s := e.stations[station]; s != nil {
		s.mu.Lock()
		s.settled++
		s.mu.Unlock()
	}
}

// Stale returns the stations this engine judges whose closed periods must be re-judged from
// their stored readings and that are ready for it — every message of theirs Observe took has
// been settled (Settled), so InfluxDB holds what the engine saw — in registry order: they need
// a RebuildStations. Unlike Pending it leaves out the stations never rebuilt (at start, or
// those a cluster member does not own).
func (e *Engine) Stale() []string {
	var out []string
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.order {
		s.mu.Lock()
		if s.known && s.stale && s.settled >= s.observed {
			out = append(out, s.st.ID)
		}
		s.mu.Unlock()
	}
	return out
}

// ReleaseStations forgets the state of the given stations, which become unknown until a
// RebuildStations (a cluster member handing a partition of stations to another member).
func (e *Engine) ReleaseStations(ids []string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.named(ids) {
		s.mu.Lock()
		fresh := newStationState(s.st, e.cat)
		fresh.observed, fresh.settled = s.observed, s.settled
		s.stationData = fresh.stationData
		s.mu.Unlock()
	}
}

// named returns the states of the stations ids names (an id or an alias; each once), in the
// order given: a map look-up each, so that handing over a partition of many stations costs
// what its stations do, not their number times the registry's. e.mu is held.
func (e *Engine) named(ids []string) []*stationState {
	out := make([]*stationState, 0, len(ids))
	seen := make(map[*stationState]bool, len(ids))
	for _, id := range ids {
		if s := e.stations[id]; s != nil && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// RebuildOnDemand is Rebuild for an engine whose stations are rebuilt a few at a time as they
// are taken over (RebuildStations; a cluster member rebuilds the stations of the partitions it
// acquires), not all at start: the engine counts as rebuilt (quantrac_rules_rebuilt 1) until a
// RebuildStations fails, and stations added by a registry reload start known. Stations never
// rebuilt stay unknown: they export no verdict (another member judges them).
func (e *Engine) RebuildOnDemand() {
	e.mu.Lock()
	e.rebuilt, e.started = true, true
	e.mu.Unlock()
}
