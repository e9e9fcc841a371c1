package payload

import (
	"bytes"
	"fmt"

	"github.com/quantrac/quantrac/internal/sim"
)

// Format is a payload format.
type Format string

// The formats.
const (
	JSON  Format = "json"  // native JSON object (README.md, "Payloads")
	SenML Format = "senml" // SenML JSON, RFC 8428
	Line  Format = "line"  // InfluxDB line protocol
	TT10  Format = "tt10"  // Circular 10/2021 data line format
)

// Formats lists the formats in the order the usage text names them.
var Formats = []Format{JSON, SenML, Line, TT10}

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want json, senml, line or tt10)", s)
}

// HasStatus reports whether the format carries a status code per reading.
func (f Format) HasStatus() bool { return f == JSON || f == TT10 }

// HasPayloadStation reports whether the format names the station inside the payload (so a
// wrong_station message can be made of it).
func (f Format) HasPayloadStation() bool { return f != TT10 }

// Append appends the encoding of m, as it is, to dst.
func (f Format) Append(dst []byte, m *sim.Message) []byte {
	switch f {
	case SenML:
		return appendSenML(dst, m)
	case Line:
		return appendLine(dst, m)
	case TT10:
		return appendTT10(dst, m)
	default:
		return appendJSON(dst, m)
	}
}

// OversizeBytes is the size an oversized payload exceeds: above quantrac's default
// limits.max_payload_bytes of 256 KiB.
const OversizeBytes = 300 << 10

// Encode appends the encoding of m to dst, making it malformed or oversized when m.Bad asks
// for it.
func (f Format) Encode(dst []byte, m *sim.Message) []byte {
	start := len(dst)
	dst = f.Append(dst, m)
	switch m.Bad {
	case sim.BadMalformed:
		return append(dst[:start], f.malform(dst[start:])...)
	case sim.BadOversized:
		one := bytes.Clone(dst[start:])
		return f.oversize(dst[:start], one)
	}
	return dst
}

// malform cuts a payload so that no decoder can read it: a JSON document without its closing
// bracket, a line protocol field without its value, a data record with only its first field.
func (f Format) malform(p []byte) []byte {
	switch f {
	case Line:
		if sp := bytes.IndexByte(p, ' '); sp >= 0 {
			if eq := bytes.IndexByte(p[sp:], '='); eq >= 0 {
				return p[:sp+eq+1]
			}
		}
	case TT10:
		if tab := bytes.IndexByte(p, '\t'); tab >= 0 {
			return append(p[:tab:tab], "\r\n"...)
		}
	}
	return p[:len(p)/2]
}

// oversize repeats one encoded message until the payload exceeds OversizeBytes: a JSON backlog
// array, a SenML pack of repeated records, repeated lines or records. Only its size is wrong.
func (f Format) oversize(dst, one []byte) []byte {
	switch f {
	case JSON, SenML:
		inner := one
		if f == SenML {
			inner = one[1 : len(one)-1]
		}
		dst = append(dst, '[')
		for n := 0; n <= OversizeBytes; n += len(inner) + 1 {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, inner...)
		}
		return append(dst, ']')
	default:
		body := bytes.TrimPrefix(one, bom)
		if len(body) < len(one) {
			dst = append(dst, bom...)
		}
		if len(body) > 0 && body[len(body)-1] != '\n' {
			body = append(body, '\n')
		}
		for n := 0; n <= OversizeBytes; n += len(body) {
			dst = append(dst, body...)
		}
		return dst
	}
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
