// Package derive adds to each accepted message's envelope what quantrac derives from its
// readings — violation transitions from the rules engine and air-quality indices — so that
// they travel with the message that caused them.
//
//	envelope.Readings ──> rules.Engine.Observe ──> envelope.Transitions
//	                  └─> aqi.Tracker per station ──> each hour/day completed or changed ──> envelope.Indices
//	                                                                                     └──> quantrac_aqi
//
// The store writes them in the same batch as the readings, so a message is acknowledged only
// when its violations and indices are durable too; after a crash the broker redelivers it and
// they are derived again.
package derive

import (
	"slices"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/rules/aqi"
)

// Deriver feeds readings to the rules engine and the AQI trackers. It is safe for concurrent
// use.
type Deriver struct {
	engine *rules.Engine
	now    func() time.Time
	spans  Spans // nil: every reading stands
	// KeepStale, when set, makes a station's new stale mark durable (the daemon's spool
	// directory). A message that made its station stale, or moved its mark earlier, is
	// acknowledged only after it returns, so that a crash cannot lose both the message and the
	// mark. Set before use.
	KeepStale func(rules.StaleMark)

	mu  sync.RWMutex // guards aqi
	aqi map[string]*stationAQI
}

// key names one exported index.
type key struct {
	scheme aqi.Scheme
	period string
}

// Index periods, the values of the period tag and label.
const (
	PeriodHourly = "1h"
	PeriodDaily  = "24h"
)

// Spans gives the data-quality spans in force at a station (qcview.View): the readings they
// make invalid count in no verdict and no index (README "Data quality").
type Spans interface {
	Spans(station string) quantrac.QCSpans
}

// StatusInvalid is the status the engine and the AQI trackers see on a reading that a
// data-quality span makes invalid: like a flagged reading it only tells that the station
// is alive. The envelope's readings, which the store writes, keep their own status.
const StatusInvalid = "qc_invalid"

// New returns a Deriver for the stations of reg; now is the clock used at scrape time.
func New(engine *rules.Engine, reg *quantrac.Registry, now func() time.Time) *Deriver {
	d := &Deriver{engine: engine, now: now}
	d.SetRegistry(reg)
	return d
}

// SetRegistry follows a registry reload: stations keep their AQI state, new ones start empty,
// removed ones are dropped. The rules engine is reloaded too.
func (d *Deriver) SetRegistry(reg *quantrac.Registry) {
	d.engine.SetRegistry(reg)
	next := map[string]*stationAQI{}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, st := range reg.Stations() {
		var schemes []aqi.Scheme
		for _, s := range st.AQI {
			schemes = append(schemes, aqi.Scheme(s))
		}
		if len(schemes) == 0 {
			continue
		}
		if old := d.aqi[st.ID]; old != nil && old.loc.String() == st.TimeLocation().String() {
			old.mu.Lock()
			old.schemes = schemes
			old.mu.Unlock()
			next[st.ID] = old
			continue
		}
		next[st.ID] = &stationAQI{schemes: schemes, tracker: aqi.NewTracker(st.TimeLocation()), loc: st.TimeLocation()}
	}
	d.aqi = next
}

// SetSpans makes the Deriver leave out the readings that spans make invalid; call it before
// the first message.
func (d *Deriver) SetSpans(s Spans) { d.spans = s }

// Observe evaluates one message's readings (all of one station) and adds the transitions and
// indices they cause to e. Readings a data-quality span makes invalid count in neither; they
// are stored as they came.
func (d *Deriver) Observe(e *quantrac.Envelope) {
	rs := d.valid(e.Readings)
	if len(rs) == 0 {
		e.Transitions = append(e.Transitions, d.engine.Observe(rs)...)
		return
	}
	station, ack := rs[0].Station, e.Ack
	before, _ := d.engine.StaleMark(station)
	e.Transitions = append(e.Transitions, d.engine.Observe(rs)...)
	after, stale := d.engine.StaleMark(station)
	keep := stale && after != before && d.KeepStale != nil
	// The engine re-judges a station from InfluxDB only once every message it observed of
	// the station is settled (durable or quarantined): told by the message's acknowledgement.
	e.Ack = func() {
		d.engine.Settled(station)
		if keep {
			d.KeepStale(after)
		}
		if ack != nil {
			ack()
		}
	}
	d.mu.RLock()
	sa := d.aqi[rs[0].Station]
	d.mu.RUnlock()
	if sa == nil {
		return
	}
	sa.mu.Lock()
	defer sa.mu.Unlock()
	e.Indices = sa.observe(rs[0].Station, inOrder(rs), e.Indices)
}

// valid returns rs, or when a span makes some of them invalid a copy in which those have
// status StatusInvalid.
func (d *Deriver) valid(rs []quantrac.Reading) []quantrac.Reading {
	if d.spans == nil || len(rs) == 0 {
		return rs
	}
	ss := d.spans.Spans(rs[0].Station)
	if len(ss) == 0 {
		return rs
	}
	var out []quantrac.Reading
	for i := range rs {
		if rs[i].Valid() && ss.Invalid(rs[i].Param, rs[i].Time) {
			if out == nil {
				out = slices.Clone(rs)
			}
			out[i].Status = StatusInvalid
		}
	}
	if out == nil {
		return rs
	}
	return out
}

// inOrder returns rs, or when it is not in time order (a backlog sent newest first) a copy
// sorted by time.
func inOrder(rs []quantrac.Reading) []quantrac.Reading {
	for i := 1; i < len(rs); i++ {
		if rs[i].Time.Before(rs[i-1].Time) {
			rs = slices.Clone(rs)
			slices.SortStableFunc(rs, func(a, b quantrac.Reading) int { return a.Time.Compare(b.Time) })
			return rs
		}
	}
	return rs
}

// SetStationStatus forwards a station's online/offline status to the rules engine.
func (d *Deriver) SetStationStatus(station string, online bool) {
	d.engine.SetStationStatus(station, online)
}

// indexOf is the domain form of an index, sub-indices in a fixed order.
func indexOf(station string, s aqi.Scheme, period string, idx *aqi.Index) quantrac.Index {
	out := quantrac.Index{Station: station, Scheme: string(s), Period: period, Value: idx.Value,
		Category: idx.Category.Name, CategoryVI: idx.Category.NameVI, Color: idx.Category.Color,
		Dominant: idx.Dominant, End: idx.End}
	for _, pol := range []string{"pm25", "pm10", "o3", "no2", "so2", "co"} {
		if v, ok := idx.Sub[pol]; ok {
			out.Sub = append(out.Sub, quantrac.SubIndex{Pollutant: pol, Value: v})
		}
	}
	return out
}
