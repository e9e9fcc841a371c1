package rules

import (
	"sync"
	"time"

	"github.com/quantrac/quantrac"
)

// Transition is the start or the end of a violation with its evidence (quantrac.Transition).
type Transition = quantrac.Transition

// Engine evaluates readings against the limits of each station's regulations and permit. It is
// pure: time comes from the readings, and now (given to NewEngine) is read only to report
// station liveness and the current year's exceedances. Its methods are safe for concurrent use.
type Engine struct {
	cat *Catalog
	now func() time.Time

	mu       sync.RWMutex // guards reg, stations and order; station states lock themselves
	reg      *quantrac.Registry
	stations map[string]*stationState
	order    []*stationState // registry order
}

// NewEngine returns an engine for the stations of reg; now is the clock used at scrape time.
func NewEngine(cat *Catalog, reg *quantrac.Registry, now func() time.Time) *Engine {
	e := &Engine{cat: cat, now: now, stations: map[string]*stationState{}}
	e.SetRegistry(reg)
	return e
}

// SetRegistry swaps the station registry (SIGHUP). Stations and limits that remain keep their
// windows, alert state and counters; removed ones are dropped and their series disappear. A
// station whose interval or rules changed has its windows rebuilt from the slots it kept.
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
			ns.migrate(old)
			old.mu.Unlock()
		}
		stations[st.ID] = ns
		for _, a := range st.Aliases {
			stations[a] = ns
		}
		order = append(order, ns)
	}
	e.reg, e.stations, e.order = reg, stations, order
}

// Observe evaluates a batch of readings, which may hold several stations, and returns the
// transitions it caused in input order. Readings of unknown stations are ignored (ingest has
// rejected them). Invalid readings (status other than 00, or in maintenance) never enter a
// window nor the last values; they only advance the station's last-seen time. Each valid
// reading re-evaluates the windows of its parameter that end at the newest reading time of
// that parameter (rules/README.md, "Evaluation").
func (e *Engine) Observe(rs []quantrac.Reading) []Transition {
	var out []Transition
	e.mu.RLock()
	defer e.mu.RUnlock()
	var cur *stationState
	for i := range rs {
		r := &rs[i]
		if cur == nil || (r.Station != cur.st.ID && e.stations[r.Station] != cur) {
			if cur != nil {
				cur.mu.Unlock()
			}
			if cur = e.stations[r.Station]; cur == nil {
				continue
			}
			cur.mu.Lock()
		}
		out = cur.observe(r, out, true)
	}
	if cur != nil {
		cur.mu.Unlock()
	}
	return out
}

// Active returns the violations in progress, each as the transition that started it, in
// registry order.
func (e *Engine) Active() []Transition {
	var out []Transition
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.order {
		s.mu.Lock()
		for _, ser := range s.order {
			for i := range ser.rules {
				if r := &ser.rules[i]; r.alert == violating && r.active != nil {
					out = append(out, *r.active)
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
