package report

import (
	"slices"

	"github.com/quantrac/quantrac"
)

// QCVN05 is the regulation of the air indicator: Vietnam's ambient-air QCVN 05:2023/BTNMT.
const QCVN05 = "QCVN-05:2023"

// provinces computes the indicators of each province, in the order provinces first appear.
func provinces(stations []Station) []Province {
	var out []Province
	for i := range stations {
		s := &stations[i]
		name := s.Province
		idx := slices.IndexFunc(out, func(p Province) bool { return p.Name == name })
		if idx < 0 {
			out = append(out, Province{Name: name, Wastewater: emptyIndicator(), Air: emptyIndicator(), Stations: []string{}})
			idx = len(out) - 1
		}
		p := &out[idx]
		p.Stations = append(p.Stations, s.ID)
		for _, c := range s.Parameters {
			p.ExpectedHours += c.ExpectedHours
			p.ValidHours += c.ValidHours
		}
		switch {
		case s.Kind == quantrac.Wastewater:
			p.Wastewater.add(s.ID, s.Verdict)
		case s.Kind == quantrac.Air && slices.ContainsFunc(s.Limits, func(e Exceedance) bool { return e.Regulation == QCVN05 && e.Binding() }):
			p.Air.add(s.ID, verdict(s, QCVN05))
		}
	}
	for i := range out {
		p := &out[i]
		p.Capture = percent(p.ValidHours, p.ExpectedHours)
		p.Wastewater.Percent = p.Wastewater.percent()
		p.Air.Percent = p.Air.percent()
	}
	return out
}

func emptyIndicator() Indicator {
	return Indicator{Met: []string{}, NotMet: []string{}, Insufficient: []string{}}
}

func (ind *Indicator) add(id, verdict string) {
	switch verdict {
	case VerdictMet:
		ind.Met = append(ind.Met, id)
	case VerdictNotMet:
		ind.NotMet = append(ind.NotMet, id)
	default:
		ind.Insufficient = append(ind.Insufficient, id)
	}
}

// Total is the number of stations the indicator counts.
func (ind *Indicator) Total() int { return len(ind.Met) + len(ind.NotMet) + len(ind.Insufficient) }

func (ind *Indicator) percent() float64 { return percent(len(ind.Met), ind.Total()) }
