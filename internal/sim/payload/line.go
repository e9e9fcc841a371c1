package payload

import (
	"strconv"

	"github.com/quantrac/quantrac/internal/sim"
)

// appendLine writes one line of InfluxDB line protocol: measurement = kind, tag station, one
// float field per parameter, nanosecond timestamp.
//
//	air,station=SIM-AQ-0001 pm25=38.2,pm10=61.1 1764313500000000000
func appendLine(dst []byte, m *sim.Message) []byte {
	dst = append(dst, m.Kind...)
	dst = append(dst, ",station="...)
	dst = appendTagValue(dst, m.PayloadID)
	for i, r := range m.Readings {
		if i == 0 {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, r.Param...)
		dst = append(dst, '=')
		dst = appendNumber(dst, r.Value, '.')
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, m.Time.UnixNano(), 10)
	return append(dst, '\n')
}

// appendTagValue escapes commas, spaces and equals signs as line protocol requires.
func appendTagValue(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ' ', '=':
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return dst
}
