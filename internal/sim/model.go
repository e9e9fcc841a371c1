package sim

import (
	"math"
	"time"

	"github.com/quantrac/quantrac"
)

// Model produces the readings of simulated stations. The zero value (seed 0, no episodes, no
// bad messages, default parameters) is ready to use; a Model is immutable and safe for
// concurrent use.
type Model struct {
	Seed int64
	// Violate is the probability that a violation episode starts in a given hour of a
	// station's simulated time (an hour is the unit episodes are drawn in).
	Violate float64
	// Bad is the probability that a message is bad, of one of BadKinds (all when empty).
	Bad      float64
	BadKinds []BadKind
	// Calibrate is the probability that one reading of a message carries status 01
	// (calibrating). Leave 0 for formats that have no status (SenML, line protocol).
	Calibrate float64
	// AltUnit is the probability that an air message carries a gas in ppb instead of µg/m³
	// (only the native JSON encoder writes it so).
	AltUnit float64
	// Faults are the data faults to inject (none when empty) and FaultRate their
	// probability: that a stuck run starts in a station-hour, and that a message carries one
	// of the other faults. Faulty readings carry their Fault.
	Faults    []Fault
	FaultRate float64
	// Params is how many parameters a message carries (the first N of Params(kind));
	// 0 means 7 for air and 8 for wastewater.
	Params int
}

// ParamsOf returns the parameters a station of kind k reports under this model.
func (m *Model) ParamsOf(k quantrac.Kind) []Param {
	ps := Params(k)
	n := m.Params
	if n <= 0 {
		n = defaultParams[k]
	}
	return ps[:min(n, len(ps))]
}

// Episode is a violation episode: for a while one parameter of a station reports 1.5–3 times
// its regulatory limit.
type Episode struct {
	Param      string
	Start, End time.Time
	Limit      float64 // the limit the values multiply (canonical unit)
	base       float64 // 0..1, the episode's overall severity
}

// Episode factors: values are between MinFactor and MaxFactor times the limit.
const (
	MinFactor = 1.5
	MaxFactor = 3.0
)

// maxEpisodeHours bounds how far back EpisodeAt looks for an episode's start.
const maxEpisodeHours = 8

// EpisodeAt returns the violation episode station st is in at t, if any. An episode starts at
// the top of an hour with probability m.Violate and lasts 1–3 hours, or 4–8 hours for
// parameters with only a 24 h limit (PM), so that the rules' averages breach too.
func (m *Model) EpisodeAt(st *quantrac.Station, t time.Time) (Episode, bool) {
	if m.Violate <= 0 {
		return Episode{}, false
	}
	sh := strHash(st.ID)
	hour := floorDiv(t.Unix(), 3600)
	for d := int64(0); d < maxEpisodeHours; d++ {
		h := hour - d
		if unit(hashOf(m.Seed, saltEpisode, sh, uint64(h))) >= m.Violate {
			continue
		}
		cands := m.candidates(st.Kind)
		if len(cands) == 0 {
			return Episode{}, false
		}
		p := cands[hashOf(m.Seed, saltEpisodeParam, sh, uint64(h))%uint64(len(cands))]
		start := time.Unix(h*3600, 0)
		lim, daily := limit(st, p, start)
		hours := 1 + int64(hashOf(m.Seed, saltEpisodeLen, sh, uint64(h))%3)
		if daily {
			hours = 4 + int64(hashOf(m.Seed, saltEpisodeLen, sh, uint64(h))%5)
		}
		if d >= hours {
			continue // that one is over; an older, longer one may still run
		}
		return Episode{
			Param: p, Start: start, End: start.Add(time.Duration(hours) * time.Hour), Limit: lim,
			base: unit(hashOf(m.Seed, saltEpisodeFactor, sh, uint64(h))),
		}, true
	}
	return Episode{}, false
}

// factor returns the episode's multiple of the limit at t, in [MinFactor, MaxFactor).
func (e Episode) factor(seed int64, st *quantrac.Station, t time.Time) float64 {
	n := smoothNoise(seed, strHash(st.ID)^strHash(e.Param)^saltEpisodeFactor, t)
	return MinFactor + (MaxFactor-MinFactor)*(0.8*e.base+0.2*n)
}

// candidates are the parameters of kind k with a limit that episodes can breach.
func (m *Model) candidates(k quantrac.Kind) []string {
	var out []string
	for _, p := range m.ParamsOf(k) {
		switch p.ID {
		case "pm25", "pm10", "so2", "no2", "co", "o3", "cod", "bod5", "tss", "nh4_n", "tn", "tp":
			out = append(out, p.ID)
		}
	}
	return out
}

// Value returns what station st reports for param at t, in the parameter's canonical unit,
// episodes included. It returns NaN for a parameter the station's kind does not measure.
func (m *Model) Value(st *quantrac.Station, param string, t time.Time) float64 {
	p, ok := LookupParam(st.Kind, param)
	if !ok {
		return math.NaN()
	}
	ep, in := m.EpisodeAt(st, t)
	var epp *Episode
	if in {
		epp = &ep
	}
	return m.value(st, p, t, localHour(t, st.TimeLocation()), epp)
}

// value computes one parameter with the episode (if any) already looked up.
func (m *Model) value(st *quantrac.Station, p Param, t time.Time, h float64, ep *Episode) float64 {
	if ep != nil && ep.Param == p.ID {
		return round(ep.Limit*ep.factor(m.Seed, st, t), p.Decimals)
	}
	key := strHash(st.ID) ^ strHash(p.ID)*31
	switch p.ID {
	case "pm10": // ≈ 1.6 × PM2.5
		base, _ := LookupParam(p.Kind, "pm25")
		return round(m.value(st, base, t, h, ep)*(1.5+0.2*smoothNoise(m.Seed, key, t)), p.Decimals)
	case "tsp": // ≈ 1.45 × PM10
		base, _ := LookupParam(p.Kind, "pm10")
		return round(m.value(st, base, t, h, ep)*(1.3+0.3*smoothNoise(m.Seed, key, t)), p.Decimals)
	case "bod5": // treated effluent: BOD5 ≈ 0.3 × COD
		base, _ := LookupParam(p.Kind, "cod")
		cod := m.value(st, base, t, h, nil)
		return round(cod*(0.25+0.1*smoothNoise(m.Seed, key, t)), p.Decimals)
	}
	level := unit(hashOf(m.Seed, saltLevel, key))
	mix := p.wProfile*p.profile0(h) + p.wLevel*level + (1-p.wProfile-p.wLevel)*smoothNoise(m.Seed, key, t)
	lo, hi := p.Lo, p.Hi
	if p.Kind == quantrac.Wastewater && qcvn40(p.ID, false) > 0 && columnA(st) {
		lo, hi = lo*columnAScale, hi*columnAScale
	}
	return round(lo+(hi-lo)*mix, p.Decimals)
}

func (p Param) profile0(h float64) float64 {
	if p.profile == nil {
		return 0.5
	}
	return p.profile(h)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
