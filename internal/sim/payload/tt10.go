package payload

import (
	"github.com/quantrac/quantrac/internal/sim"
)

// TT10Code returns the parameter symbol and unit a Circular 10/2021 datalogger writes for a
// canonical parameter (symbols of the circular's parameter table, Bảng 34, e.g. PM2,5 and NH4;
// package param and README.md, "Station data files (Circular 10/2021)"). BOD5 has no symbol
// there (automatic stations rarely measure it); "BOD5" is what dataloggers that do write.
func TT10Code(param string) (code, unit string) {
	switch param {
	case "pm25":
		return "PM2,5", "µg/Nm3"
	case "pm10":
		return "PM10", "µg/Nm3"
	case "tsp":
		return "TSP", "µg/Nm3"
	case "so2":
		return "SO2", "µg/Nm3"
	case "no2":
		return "NO2", "µg/Nm3"
	case "co":
		return "CO", "µg/Nm3"
	case "o3":
		return "O3", "µg/Nm3"
	case "temp":
		return "Temp", "°C"
	case "ph":
		return "pH", "-"
	case "cod":
		return "COD", "mg/L"
	case "bod5":
		return "BOD5", "mg/L"
	case "tss":
		return "TSS", "mg/L"
	case "nh4_n":
		return "NH4", "mg/L"
	case "tn":
		return "TN", "mg/L"
	case "tp":
		return "TP", "mg/L"
	case "flow":
		return "Flow", "m3/h"
	}
	return param, ""
}

// TT10Style is how one station's datalogger writes its files: real dataloggers differ (one
// line or one record per line, …), and quantrac must read them all.
type TT10Style struct {
	OneLine bool // all records on one line (repeated 5-tuples), else one record per line
	BOM     bool // UTF-8 byte order mark first
	Comma   bool // decimal comma in values (12,5)
	CRLF    bool // Windows line ends
}

// TT10StyleOf returns the style of the station whose seeded bits are v (sim.Message's
// StationVariant): a quarter one-line, a fifth with BOM, 30 % decimal commas, half CRLF.
func TT10StyleOf(v uint64) TT10Style {
	return TT10Style{
		OneLine: v&3 == 0,
		BOM:     (v>>2)%5 == 0,
		Comma:   (v>>5)%10 < 3,
		CRLF:    (v>>9)&1 == 1,
	}
}

var bom = []byte("\uFEFF")

// TT10TimeLayout is the record time: local time, yyyyMMddHHmmss.
const TT10TimeLayout = "20060102150405"

// appendTT10 writes the records of one 5-minute record set:
//
//	PM2,5<TAB>38.2<TAB>µg/Nm3<TAB>20261128140500<TAB>00
func appendTT10(dst []byte, m *sim.Message) []byte {
	st := TT10StyleOf(m.StationVariant)
	if st.BOM {
		dst = append(dst, bom...)
	}
	sep := byte('.')
	if st.Comma {
		sep = ','
	}
	eol := "\n"
	if st.CRLF {
		eol = "\r\n"
	}
	var ts [14]byte
	stamp := m.LocalTime().AppendFormat(ts[:0], TT10TimeLayout)
	for i, r := range m.Readings {
		if i > 0 {
			if st.OneLine {
				dst = append(dst, '\t')
			} else {
				dst = append(dst, eol...)
			}
		}
		code, unit := TT10Code(r.Param)
		dst = append(dst, code...)
		dst = append(dst, '\t')
		dst = appendNumber(dst, r.Value, sep)
		dst = append(dst, '\t')
		dst = append(dst, unit...)
		dst = append(dst, '\t')
		dst = append(dst, stamp...)
		dst = append(dst, '\t')
		status := r.Status
		if status == "" {
			status = m.Status
		}
		dst = append(dst, status...)
	}
	return append(dst, eol...)
}
