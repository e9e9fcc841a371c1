package payload

import (
	"bytes"
	"fmt"
	"strings"
)

// Format is a payload format.
type Format int

// The payload formats. Auto asks Parse to detect the format from the content.
const (
	Auto         Format = iota
	JSON                // native JSON object, or an array of them (backlog)
	SenML               // SenML JSON, RFC 8428
	LineProtocol        // InfluxDB line protocol
	DataLine            // Circular 10/2021 data line records
)

var formatNames = [...]string{Auto: "auto", JSON: "json", SenML: "senml", LineProtocol: "line", DataLine: "tt10"}

// String returns the format's configuration name: auto, json, senml, line or tt10.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format named s, case-insensitively: the name String prints, which
// is the one to write (configuration mqtt.formats, stationsim -format), or an older alias
// ("", "senml+json", "lineprotocol", "line_protocol", "influx", "dataline", "data_line",
// "circular10"). The configuration is validated with it, so `quantrac check` accepts exactly
// what quantrac parses.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "json":
		return JSON, nil
	case "senml", "senml+json":
		return SenML, nil
	case "line", "lineprotocol", "line_protocol", "influx":
		return LineProtocol, nil
	case "tt10", "dataline", "data_line", "circular10":
		return DataLine, nil
	}
	return Auto, fmt.Errorf("unknown payload format %q (want auto, json, senml, line or tt10)", s)
}

// MarshalText implements encoding.TextMarshaler, for configuration files.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, for configuration files.
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ParseFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

var bom = []byte("\xef\xbb\xbf")

// Detect returns the format of payload judged from its content, or Auto when it cannot tell:
//
//	{…                               JSON
//	[{"readings"|"time"|"station"…   JSON backlog
//	[{"bn"|"n"|"v"|"bt"…             SenML
//	air,station=X pm25=1 …           LineProtocol (the first line has '=')
//	PM2,5<TAB>38,2<TAB>…             DataLine (the first line has a yyyyMMddHHmmss token)
func Detect(payload []byte) Format {
	b := bytes.TrimLeft(bytes.TrimPrefix(payload, bom), " \t\r\n")
	if len(b) == 0 {
		return Auto
	}
	switch b[0] {
	case '{':
		return JSON
	case '[':
		return detectArray(b)
	}
	for headers := 0; len(b) > 0; {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if headers == 0 && bytes.IndexByte(line, '=') > 0 {
			return LineProtocol
		}
		if hasTimestampToken(line) {
			return DataLine
		}
		// Circular 10/2021 files may start with column titles ("Thông số<TAB>Giá trị<TAB>…"):
		// look a few lines further for a record.
		if headers++; headers > maxDataLineHeaders {
			return Auto
		}
	}
	return Auto
}

// maxDataLineHeaders is how many header lines Detect looks past for a data line record.
const maxDataLineHeaders = 3

// detectArray tells a JSON backlog from a SenML pack by the keys of the first element.
func detectArray(b []byte) Format {
	s := jscan{b: b, maxStr: 1 << 16, maxArr: 1 << 16}
	if s.enter('[') != nil {
		return JSON
	}
	more, err := s.nextElem(true)
	if err != nil || !more || s.enter('{') != nil {
		return JSON
	}
	for first := true; ; first = false {
		key, more, err := s.nextKey(first)
		if err != nil || !more {
			return JSON
		}
		switch string(key) {
		case "readings", "time", "station", "status":
			return JSON
		case "bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut":
			return SenML
		}
		if s.skip() != nil {
			return JSON
		}
	}
}

// hasTimestampToken reports whether line has a 14-digit token (yyyyMMddHHmmss).
func hasTimestampToken(line []byte) bool {
	n := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && '0' <= line[i] && line[i] <= '9' {
			n++
			continue
		}
		if n == 14 && (i == len(line) || isSpace(line[i])) && (i-n == 0 || isSpace(line[i-n-1])) {
			return true
		}
		n = 0
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}
