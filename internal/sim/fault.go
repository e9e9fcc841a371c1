package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
	"github.com/quantrac/quantrac/qc"
)

// Fault is a data fault injected into an otherwise good reading, of the kinds quantrac's
// automatic quality checks (package qc) are meant to find.
type Fault uint8

// The faults. The comment names the qc check that should invalidate the reading.
const (
	NoFault       Fault = iota
	FaultStuck          // the analyser repeats one value for 5–8 h: flatline
	FaultSpike          // one reading jumps 3 × the spike threshold and comes back: spike
	FaultPMRatio        // PM2.5 reads 1.5 × PM10 + 10 µg/m³: pm_ratio
	FaultSentinel       // a "no data" value the plausible range lets through: sentinel
	numFaults
)

// NumFaults is the number of Fault values including NoFault, for arrays indexed by fault.
const NumFaults = int(numFaults)

var faultNames = [numFaults]string{"none", "stuck", "spike", "pm_ratio", "sentinel"}

// String returns the fault's name as the -faults flag spells it.
func (f Fault) String() string {
	if f < numFaults {
		return faultNames[f]
	}
	return "unknown"
}

// AllFaults returns every fault (not NoFault), in order.
func AllFaults() []Fault { return []Fault{FaultStuck, FaultSpike, FaultPMRatio, FaultSentinel} }

// ParseFaults parses a comma-separated list of fault names, or "all".
func ParseFaults(s string) ([]Fault, error) {
	if strings.TrimSpace(s) == "all" {
		return AllFaults(), nil
	}
	var out []Fault
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		i := slices.Index(faultNames[1:], name)
		if i < 0 {
			return nil, fmt.Errorf("unknown fault %q (want stuck, spike, pm_ratio, sentinel or all)", name)
		}
		if f := Fault(i + 1); !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// faultChecks are the qc settings faults are made to match: stuck parameters are those the
// flat-line check watches, spikes are three times the parameter's spike threshold.
var faultChecks = qc.Defaults()

// Stuck is a stuck analyser: Param reads exactly Value from Start to End.
type Stuck struct {
	Param      string
	Start, End time.Time
	Value      float64
}

// Stuck runs last 5–8 hours, so that at least 4 h of identical readings reach the checks.
// At most one runs at a time per station: a run starts only where no other could have
// started in the stuckWindow hours before.
const (
	minStuckHours = 5
	stuckWindow   = 9
)

// StuckAt returns the stuck run station st is in at t, if any: with FaultStuck among
// m.Faults, one starts at the top of an hour with probability m.FaultRate, on one of the
// parameters the flat-line check watches whose value then is above its detection floor.
func (m *Model) StuckAt(st *quantrac.Station, t time.Time) (Stuck, bool) {
	if m.FaultRate <= 0 || !slices.Contains(m.Faults, FaultStuck) {
		return Stuck{}, false
	}
	sh := strHash(st.ID)
	hour := floorDiv(t.Unix(), 3600)
	for d := int64(0); d < stuckWindow; d++ {
		h := hour - d
		if !m.stuckStarts(sh, h) || m.stuckStartsIn(sh, h-stuckWindow+1, h) {
			continue
		}
		start := time.Unix(h*3600, 0)
		hours := minStuckHours + int64(hashOf(m.Seed, saltStuckLen, sh, uint64(h))%4)
		if d >= hours {
			return Stuck{}, false
		}
		cands := m.stuckCandidates(st.Kind)
		if len(cands) == 0 {
			return Stuck{}, false
		}
		p := cands[hashOf(m.Seed, saltStuckParam, sh, uint64(h))%uint64(len(cands))]
		v := m.Value(st, p, start)
		if v <= faultChecks.Params[p].Floor {
			return Stuck{}, false
		}
		return Stuck{Param: p, Start: start, End: start.Add(time.Duration(hours) * time.Hour), Value: v}, true
	}
	return Stuck{}, false
}

func (m *Model) stuckStarts(sh uint64, h int64) bool {
	return unit(hashOf(m.Seed, saltStuck, sh, uint64(h))) < m.FaultRate
}

// stuckStartsIn reports whether a run could start in an hour of [from, to).
func (m *Model) stuckStartsIn(sh uint64, from, to int64) bool {
	for h := from; h < to; h++ {
		if m.stuckStarts(sh, h) {
			return true
		}
	}
	return false
}

func (m *Model) stuckCandidates(k quantrac.Kind) []string {
	var out []string
	for _, p := range m.ParamsOf(k) {
		if faultChecks.On(qc.Flatline, p.ID) {
			out = append(out, p.ID)
		}
	}
	return out
}

// injectFaults applies the faults of m to the message's readings and marks each faulty
// reading with its fault.
func (m *Model) injectFaults(dst *Message) {
	st, t := dst.Station, dst.Time
	if s, ok := m.StuckAt(st, t); ok {
		if i := dst.index(s.Param); i >= 0 {
			dst.Readings[i].Value, dst.Readings[i].Fault = s.Value, FaultStuck
		}
	}
	var kinds []Fault
	for _, f := range m.Faults {
		if f != FaultStuck {
			kinds = append(kinds, f)
		}
	}
	sh, tk := strHash(st.ID), uint64(t.UnixNano())
	if len(kinds) == 0 || unit(hashOf(m.Seed, saltFault, sh, tk)) >= m.FaultRate {
		return
	}
	pick := hashOf(m.Seed, saltFaultKind, sh, tk)
	switch kinds[pick%uint64(len(kinds))] {
	case FaultSpike:
		m.injectSpike(dst, pick>>8)
	case FaultPMRatio:
		i, j := dst.index("pm25"), dst.index("pm10")
		if i >= 0 && j >= 0 && dst.Readings[i].Fault == NoFault {
			dst.Readings[i].Value = round(1.5*dst.Readings[j].Value+10, 1)
			dst.Readings[i].Fault = FaultPMRatio
		}
	case FaultSentinel:
		injectSentinel(dst, pick>>8)
	}
}

// spikeFactor is how many times its parameter's spike threshold a spike jumps.
const spikeFactor = 3

// injectSpike raises one reading by spikeFactor × its spike threshold: a reading whose
// parameter has a spike check, with no episode or stuck run within 15 minutes (a spike is
// judged against its neighbours, which those move), and that stays in the plausible range.
func (m *Model) injectSpike(dst *Message, pick uint64) {
	var idx []int
	for i, r := range dst.Readings {
		th := faultChecks.Params[r.Param].Spike
		p, _ := param.Lookup(r.Param)
		if r.Fault == NoFault && th > 0 && p != nil && p.InRange(r.Value+spikeFactor*th) && m.calm(dst.Station, r.Param, dst.Time) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	r := &dst.Readings[idx[pick%uint64(len(idx))]]
	r.Value += spikeFactor * faultChecks.Params[r.Param].Spike
	r.Fault = FaultSpike
}

// calm reports whether parameter p of st is in no episode and no stuck run from 15 minutes
// before t to 15 minutes after.
func (m *Model) calm(st *quantrac.Station, p string, t time.Time) bool {
	for _, d := range []time.Duration{-15 * time.Minute, 0, 15 * time.Minute} {
		if e, ok := m.EpisodeAt(st, t.Add(d)); ok && e.Param == p {
			return false
		}
		if s, ok := m.StuckAt(st, t.Add(d)); ok && s.Param == p {
			return false
		}
	}
	return true
}

// injectSentinel replaces one reading by a sentinel value within its plausible range.
func injectSentinel(dst *Message, pick uint64) {
	type cand struct {
		i int
		v float64
	}
	var cs []cand
	for i, r := range dst.Readings {
		p, ok := param.Lookup(r.Param)
		if r.Fault != NoFault || !ok {
			continue
		}
		for _, v := range qc.DefaultSentinels() {
			if p.InRange(v) {
				cs = append(cs, cand{i, v})
			}
		}
	}
	if len(cs) == 0 {
		return
	}
	c := cs[pick%uint64(len(cs))]
	dst.Readings[c.i].Value, dst.Readings[c.i].Fault = c.v, FaultSentinel
}

// index returns the position of parameter id among the message's readings, or -1.
func (msg *Message) index(id string) int {
	return slices.IndexFunc(msg.Readings, func(r Reading) bool { return r.Param == id })
}
