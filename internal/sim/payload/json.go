package payload

import (
	"math"
	"strconv"
	"time"

	"github.com/quantrac/quantrac/internal/sim"
)

// MolarVolume is the volume of a mole of ideal gas at 25 °C and 1 atm (L/mol), the reference
// conditions of QCVN 05:2023: ppb = µg/m³ × MolarVolume / molar mass.
const MolarVolume = 24.465

// ToPPB converts a concentration in µg/m³ of a gas of molar mass mw to ppb, rounded to 0.1 as
// an analyser reports it.
func ToPPB(ugm3, mw float64) float64 { return math.Round(ugm3*MolarVolume/mw*10) / 10 }

// appendJSON writes the native format:
//
//	{"time":"2026-11-28T14:05:00+07:00","station":"LC-AQ-01","status":"00",
//	 "readings":{"pm25":38.2,"so2":{"value":4.6,"unit":"ppb"},"co":{"value":812,"status":"01"}}}
//
// A reading is written as an object when it has its own status or is in ppb. NaN is written
// as the bare token NaN, as Python's json.dumps does.
func appendJSON(dst []byte, m *sim.Message) []byte {
	dst = append(dst, `{"time":"`...)
	dst = m.LocalTime().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","station":`...)
	dst = appendJSONString(dst, m.PayloadID)
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, m.Status)
	dst = append(dst, `,"readings":{`...)
	for i, r := range m.Readings {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, r.Param)
		dst = append(dst, ':')
		v, unit := r.Value, ""
		if r.AltUnit {
			if p, ok := sim.LookupParam(m.Kind, r.Param); ok && p.MolarMass > 0 && !math.IsNaN(v) {
				v, unit = ToPPB(v, p.MolarMass), "ppb"
			}
		}
		if unit == "" && r.Status == "" {
			dst = appendNumber(dst, v, '.')
			continue
		}
		dst = append(dst, `{"value":`...)
		dst = appendNumber(dst, v, '.')
		if unit != "" {
			dst = append(dst, `,"unit":`...)
			dst = appendJSONString(dst, unit)
		}
		if r.Status != "" {
			dst = append(dst, `,"status":`...)
			dst = appendJSONString(dst, r.Status)
		}
		dst = append(dst, '}')
	}
	return append(dst, "}}"...)
}

// appendNumber writes v in the shortest form that reads back exactly (NaN as NaN), with the
// given decimal separator.
func appendNumber(dst []byte, v float64, sep byte) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
	if sep != '.' {
		for i := start; i < len(dst); i++ {
			if dst[i] == '.' {
				dst[i] = sep
			}
		}
	}
	return dst
}
