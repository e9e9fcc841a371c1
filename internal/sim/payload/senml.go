package payload

import (
	"strconv"

	"github.com/quantrac/quantrac/internal/sim"
)

// SenMLUnit returns the SenML unit symbol (RFC 8428 §12.1 and its secondary-unit registry) of
// a canonical unit.
func SenMLUnit(canonical string) string {
	switch canonical {
	case "µg/m³":
		return "ug/m3"
	case "°C":
		return "Cel"
	}
	return canonical // mg/L, m3/h, pH
}

// SenMLBaseName returns the base name a station's SenML records carry: "<station>:", so a
// record's full name is "<station>:<parameter>".
func SenMLBaseName(station string) string { return station + ":" }

// appendSenML writes one SenML pack: base name, base time and base unit on the first record,
// a unit on the others only where it differs.
//
//	[{"bn":"SIM-AQ-0001:","bt":1764313500,"bu":"ug/m3","n":"pm25","v":38.2},{"n":"temp","u":"Cel","v":24.1}]
func appendSenML(dst []byte, m *sim.Message) []byte {
	dst = append(dst, '[')
	var bu string
	for i, r := range m.Readings {
		p, _ := sim.LookupParam(m.Kind, r.Param)
		u := SenMLUnit(p.Unit)
		if i == 0 {
			bu = u
			dst = append(dst, `{"bn":`...)
			dst = appendJSONString(dst, SenMLBaseName(m.PayloadID))
			dst = append(dst, `,"bt":`...)
			dst = appendSeconds(dst, m.Time.UnixNano())
			dst = append(dst, `,"bu":`...)
			dst = appendJSONString(dst, bu)
			dst = append(dst, ',')
		} else {
			dst = append(dst, ",{"...)
		}
		dst = append(dst, `"n":`...)
		dst = appendJSONString(dst, r.Param)
		if u != bu {
			dst = append(dst, `,"u":`...)
			dst = appendJSONString(dst, u)
		}
		dst = append(dst, `,"v":`...)
		dst = appendNumber(dst, r.Value, '.')
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendSeconds writes Unix nanoseconds as seconds: an integer when whole, else a decimal.
func appendSeconds(dst []byte, ns int64) []byte {
	if ns%1e9 == 0 {
		return strconv.AppendInt(dst, ns/1e9, 10)
	}
	return strconv.AppendFloat(dst, float64(ns)/1e9, 'f', -1, 64)
}
