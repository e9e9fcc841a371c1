package sim

import (
	"math"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
)

// Param describes one simulated parameter of one station kind.
type Param struct {
	ID   string        // canonical parameter id (pm25, cod, …)
	Kind quantrac.Kind // the station kind that measures it
	Unit string        // canonical unit of the values the model produces
	// Lo and Hi bound the normal values (outside violation episodes), in Unit. Derived
	// parameters (pm10, tsp, bod5) state the bounds that follow from their base.
	Lo, Hi float64
	// Decimals is the resolution an analyser reports: values are rounded to it.
	Decimals int
	// Concentration is true for quantities that cannot be negative (everything except
	// temperature).
	Concentration bool
	// MolarMass (g/mol) of a gas, for ppb conversions; 0 for the others.
	MolarMass float64

	profile  func(h float64) float64 // diurnal shape, 0..1, at local hour h
	wProfile float64                 // weight of the profile in the mix
	wLevel   float64                 // weight of the station's own level; the rest is noise
}

// Diurnal shapes (0..1 at a local hour of day).
func traffic(h float64) float64 { return max(bump(h, 7.5, 1.5), bump(h, 19, 2)) } // rush hours
func ozone(h float64) float64   { return bump(h, 14.5, 2.5) }                     // photochemistry, mid-afternoon
func airTemp(h float64) float64 { return bump(h, 14, 5) }                         // warmest early afternoon
func flat(float64) float64      { return 0.5 }

// production is a plant's working day: high from about 07:30 to 17:30, low at night.
func production(h float64) float64 {
	return 1 / (1 + math.Exp(-2*(h-7.5))) / (1 + math.Exp(2*(h-17.5)))
}

// The parameters each kind reports, in the order -params takes them: the first N form a
// message. Air: QCVN 05:2023 pollutants and temperature; wastewater: the parameters of
// Decree 08/2022 plus the nutrients (BOD5 last: automatic stations rarely measure it).
var (
	airParams = []Param{
		{ID: "pm25", Kind: quantrac.Air, Unit: "µg/m³", Lo: 20, Hi: 60, Decimals: 1, Concentration: true, profile: traffic, wProfile: 0.6, wLevel: 0.2},
		{ID: "pm10", Kind: quantrac.Air, Unit: "µg/m³", Lo: 30, Hi: 102, Decimals: 1, Concentration: true},
		{ID: "no2", Kind: quantrac.Air, Unit: "µg/m³", Lo: 15, Hi: 80, Decimals: 1, Concentration: true, MolarMass: 46.0055, profile: traffic, wProfile: 0.6, wLevel: 0.2},
		{ID: "so2", Kind: quantrac.Air, Unit: "µg/m³", Lo: 5, Hi: 40, Decimals: 1, Concentration: true, MolarMass: 64.066, profile: traffic, wProfile: 0.3, wLevel: 0.4},
		{ID: "co", Kind: quantrac.Air, Unit: "µg/m³", Lo: 400, Hi: 3000, Decimals: 0, Concentration: true, MolarMass: 28.010, profile: traffic, wProfile: 0.6, wLevel: 0.2},
		{ID: "o3", Kind: quantrac.Air, Unit: "µg/m³", Lo: 20, Hi: 140, Decimals: 1, Concentration: true, MolarMass: 47.997, profile: ozone, wProfile: 0.7, wLevel: 0.1},
		{ID: "temp", Kind: quantrac.Air, Unit: "°C", Lo: 14, Hi: 30, Decimals: 1, profile: airTemp, wProfile: 0.7, wLevel: 0.2},
		{ID: "tsp", Kind: quantrac.Air, Unit: "µg/m³", Lo: 39, Hi: 163.2, Decimals: 1, Concentration: true},
	}
	wastewaterParams = []Param{
		{ID: "flow", Kind: quantrac.Wastewater, Unit: "m3/h", Lo: 50, Hi: 400, Decimals: 1, Concentration: true, profile: production, wProfile: 0.7, wLevel: 0.2},
		{ID: "ph", Kind: quantrac.Wastewater, Unit: "pH", Lo: 6.5, Hi: 8, Decimals: 2, Concentration: true, profile: flat, wProfile: 0, wLevel: 0.5},
		{ID: "temp", Kind: quantrac.Wastewater, Unit: "°C", Lo: 22, Hi: 32, Decimals: 1, profile: production, wProfile: 0.5, wLevel: 0.3},
		{ID: "cod", Kind: quantrac.Wastewater, Unit: "mg/L", Lo: 40, Hi: 120, Decimals: 1, Concentration: true, profile: production, wProfile: 0.5, wLevel: 0.3},
		{ID: "tss", Kind: quantrac.Wastewater, Unit: "mg/L", Lo: 20, Hi: 80, Decimals: 1, Concentration: true, profile: production, wProfile: 0.4, wLevel: 0.3},
		{ID: "nh4_n", Kind: quantrac.Wastewater, Unit: "mg/L", Lo: 1, Hi: 8, Decimals: 2, Concentration: true, profile: production, wProfile: 0.3, wLevel: 0.4},
		{ID: "tp", Kind: quantrac.Wastewater, Unit: "mg/L", Lo: 0.5, Hi: 4, Decimals: 2, Concentration: true, profile: production, wProfile: 0.3, wLevel: 0.4},
		{ID: "tn", Kind: quantrac.Wastewater, Unit: "mg/L", Lo: 8, Hi: 30, Decimals: 1, Concentration: true, profile: production, wProfile: 0.3, wLevel: 0.4},
		{ID: "bod5", Kind: quantrac.Wastewater, Unit: "mg/L", Lo: 10, Hi: 42, Decimals: 1, Concentration: true},
	}
)

// defaultParams is how many parameters a message carries when -params is not given.
var defaultParams = map[quantrac.Kind]int{quantrac.Air: 7, quantrac.Wastewater: 8}

// Params returns the parameters a station of kind k can report, in -params order.
func Params(k quantrac.Kind) []Param {
	switch k {
	case quantrac.Air:
		return airParams
	case quantrac.Wastewater:
		return wastewaterParams
	}
	return nil
}

// LookupParam returns the parameter id of kind k.
func LookupParam(k quantrac.Kind, id string) (Param, bool) {
	ps := Params(k)
	if i := slices.IndexFunc(ps, func(p Param) bool { return p.ID == id }); i >= 0 {
		return ps[i], true
	}
	return Param{}, false
}

// round rounds v to d decimals so that it prints as an analyser would report it.
func round(v float64, d int) float64 {
	s := math.Pow10(d)
	return math.Round(v*s) / s
}

// columnAScale shrinks the normal wastewater concentrations of a plant that must meet the
// stricter column A of QCVN 40:2011, so that it complies outside episodes.
const columnAScale = 0.5

// qcvn05Since2026 is when QCVN 05:2023's 24 h PM2.5 limit drops from 50 to 45 µg/Nm³.
var qcvn05Since2026 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// limit returns the regulatory limit an episode of param multiplies, and whether that limit is
// a 24-hour one (episodes then last longer so the daily mean breaches too). Air: QCVN
// 05:2023 Table 1 (the 1 h value where there is one, else the 24 h value). Wastewater: QCVN
// 40:2011 Table 1 column B (A when the station asks for it) × Kq × Kf, or the station's own
// permit limit when lower.
func limit(st *quantrac.Station, param string, t time.Time) (value float64, daily bool) {
	switch param {
	case "pm25":
		if t.Before(qcvn05Since2026) {
			return 50, true
		}
		return 45, true
	case "pm10":
		return 100, true
	case "tsp":
		return 300, false
	case "so2":
		return 350, false
	case "no2":
		return 200, false
	case "co":
		return 30000, false
	case "o3":
		return 200, false
	}
	c := qcvn40(param, columnA(st))
	if c == 0 {
		return 0, false
	}
	v := c * st.Coefficient("kq") * st.Coefficient("kf")
	for _, l := range st.Limits {
		if l.Parameter == param && l.Max != nil && *l.Max < v {
			v = *l.Max
		}
	}
	return v, false
}

// qcvn40 returns the C value of QCVN 40:2011 Table 1, column A or B, 0 when none.
func qcvn40(param string, colA bool) float64 {
	var a, b float64
	switch param {
	case "bod5":
		a, b = 30, 50
	case "cod":
		a, b = 75, 150
	case "tss":
		a, b = 50, 100
	case "nh4_n":
		a, b = 5, 10
	case "tn":
		a, b = 20, 40
	case "tp":
		a, b = 4, 6
	}
	if colA {
		return a
	}
	return b
}

func columnA(st *quantrac.Station) bool { return st.HasRegulation("QCVN-40:2011/A") }
