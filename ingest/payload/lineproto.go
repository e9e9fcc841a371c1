package payload

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// lpField is one field of a line protocol line.
type lpField struct {
	key   []byte
	str   []byte // string fields
	isStr bool
	num   float64
	bad   string // boolean or other non-numeric value
}

// Field-key suffixes and keys that carry metadata rather than readings.
var (
	suffixStatus = []byte("_status")
	suffixUnit   = []byte("_unit")
)

// parseLine decodes InfluxDB line protocol, one or more lines:
//
//	air,station=LC-AQ-01 pm25=38.2,so2=12,so2_unit="ppb",so2_status="01" 1764313500000000000
//
// The measurement must be the station's kind; a station tag must name the topic's station;
// other tags are ignored. Numeric fields are readings; the string fields <param>_status and
// <param>_unit, and status (for the whole line), qualify them. The timestamp is in
// nanoseconds; the readings of a line without one are rejected no_time, unless
// Limits.AcceptReceiveTime takes them at the receive time, as InfluxDB does.
func (p *Parser) parseLine(b []byte) error {
	for lineNo := 1; len(b) > 0; lineNo++ {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		line = trimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := p.lineProtocolLine(line); err != nil {
			var me *MessageError
			if errors.As(err, &me) {
				return &MessageError{Reason: me.Reason, Err: fmt.Errorf("line protocol: line %d: %w", lineNo, me.Err)}
			}
			return malformed("line protocol: line %d: %v", lineNo, err)
		}
	}
	return nil
}

// lpSyntax marks a field value that is not valid line protocol.
const lpSyntax = "syntax"

var (
	errLPSyntax    = errors.New("syntax error")
	errLPNoFields  = errors.New("no fields")
	errLPTimestamp = errors.New("bad timestamp")
	errLPLong      = errors.New("string longer than the limit")
)

// lpScanner scans one line, tracking backslash escapes.
type lpScanner struct {
	b []byte
	i int
}

// until returns the text up to the first unescaped byte of stops (or the end), leaving the
// scanner at that byte; escaped reports whether the text holds backslashes.
func (s *lpScanner) until(stops string) (text []byte, escaped bool) {
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '\\' && s.i+1 < len(s.b) {
			escaped = true
			s.i += 2
			continue
		}
		if strings.IndexByte(stops, c) >= 0 {
			break
		}
		s.i++
	}
	return s.b[start:s.i], escaped
}

func (s *lpScanner) at(c byte) bool { return s.i < len(s.b) && s.b[s.i] == c }

// unescape removes line protocol backslash escapes into the parser's scratch memory.
func (p *Parser) unescape(b []byte, escaped bool) []byte {
	if !escaped {
		return b
	}
	start := len(p.scratch)
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
		}
		p.scratch = append(p.scratch, b[i])
	}
	return p.scratch[start:len(p.scratch):len(p.scratch)]
}

func (p *Parser) lineProtocolLine(line []byte) error {
	s := lpScanner{b: line}
	meas, esc := s.until(", ")
	if len(meas) == 0 {
		return errLPSyntax
	}
	if m := p.unescape(meas, esc); string(m) != string(p.st.Kind) {
		return fmt.Errorf("measurement %q is not the station's kind %q", clip(m), p.st.Kind)
	}
	for s.at(',') {
		s.i++
		key, kesc := s.until("=, ")
		if !s.at('=') || len(key) == 0 {
			return errLPSyntax
		}
		s.i++
		val, vesc := s.until(", ")
		if len(val) == 0 {
			return errLPSyntax
		}
		if string(p.unescape(key, kesc)) == "station" {
			if err := p.checkStation(p.unescape(val, vesc)); err != nil {
				return err
			}
		}
	}
	if !s.at(' ') {
		return errLPNoFields
	}
	for s.at(' ') {
		s.i++
	}
	if err := p.lpFields(&s); err != nil {
		return err
	}
	t, tbad, err := p.lpTimestamp(&s)
	if err != nil {
		return err
	}
	return p.lpEmit(t, tbad)
}

// lpFields reads the field set into p.fields.
func (p *Parser) lpFields(s *lpScanner) error {
	p.fields = p.fields[:0]
	for {
		key, kesc := s.until("=, ")
		if !s.at('=') || len(key) == 0 {
			return errLPSyntax
		}
		s.i++
		f := lpField{key: p.unescape(key, kesc)}
		if s.at('"') {
			str, err := p.lpString(s)
			if err != nil {
				return err
			}
			f.str, f.isStr = str, true
		} else {
			val, _ := s.until(", ")
			if len(val) == 0 {
				return errLPSyntax
			}
			f.num, f.bad = lpNumber(val)
			if f.bad == lpSyntax {
				return errLPSyntax
			}
		}
		p.fields = append(p.fields, f)
		if len(p.fields) > p.lim.MaxReadings*3+3 {
			return errors.New("too many fields")
		}
		if !s.at(',') {
			return nil
		}
		s.i++
	}
}

// lpString reads a double-quoted string field value.
func (p *Parser) lpString(s *lpScanner) ([]byte, error) {
	s.i++
	start, escaped := s.i, false
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			text := s.b[start:s.i]
			s.i++
			if len(text) > p.lim.MaxStringLen {
				return nil, errLPLong
			}
			return p.unescape(text, escaped), nil
		}
		s.i++
	}
	return nil, errLPSyntax
}

// lpNumber parses a field value: a float, an integer (12i), an unsigned integer (12u) or a
// boolean. A value that is none of these returns bad = lpSyntax.
func lpNumber(v []byte) (float64, string) {
	switch string(v) {
	case "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE":
		return 0, badBoolValue
	}
	if n := len(v); n > 1 && (v[n-1] == 'i' || v[n-1] == 'u') {
		v = v[:n-1]
		if !isDigits(v) && !(v[0] == '-' && isDigits(v[1:])) {
			return 0, lpSyntax
		}
	}
	if len(v) > 64 {
		return 0, lpSyntax
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, lpSyntax
	}
	return f, ""
}

// lpTimestamp reads the optional nanosecond timestamp that ends a line.
func (p *Parser) lpTimestamp(s *lpScanner) (time.Time, string, error) {
	for s.at(' ') {
		s.i++
	}
	if s.i == len(s.b) {
		if !p.lim.AcceptReceiveTime {
			return time.Time{}, badNoOwnTime, nil
		}
		return p.now.UTC(), "", nil
	}
	v := s.b[s.i:]
	neg := v[0] == '-'
	if neg {
		v = v[1:]
	}
	if !isDigits(v) || len(v) > 19 {
		return time.Time{}, "", errLPTimestamp
	}
	ns, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, badTimeRange, nil //nolint:nilerr // out of int64 range: a rejected reading, not a malformed message
	}
	if neg {
		ns = -ns
	}
	return time.Unix(0, ns).UTC(), "", nil
}

// lpEmit emits the readings of the line's fields.
func (p *Parser) lpEmit(t time.Time, tbad string) error {
	lineStatus := ""
	for i := range p.fields {
		if f := &p.fields[i]; string(f.key) == "status" {
			st, err := lpStatus(f)
			if err != nil {
				return err
			}
			lineStatus = st
		}
	}
	for i := range p.fields {
		f := &p.fields[i]
		if string(f.key) == "status" || bytes.HasSuffix(f.key, suffixStatus) || bytes.HasSuffix(f.key, suffixUnit) {
			continue
		}
		c := candidate{name: f.key, value: f.num, bad: f.bad, time: t, tbad: tbad, status: lineStatus}
		if f.isStr {
			c.value, c.bad = numericString(f.str)
		}
		for j := range p.fields {
			m := &p.fields[j]
			if len(m.key) != len(f.key)+len(suffixStatus) && len(m.key) != len(f.key)+len(suffixUnit) || !bytes.HasPrefix(m.key, f.key) {
				continue
			}
			switch suffix := m.key[len(f.key):]; {
			case bytes.Equal(suffix, suffixStatus):
				st, err := lpStatus(m)
				if err != nil {
					return err
				}
				if st != "" {
					c.status = st
				}
			case bytes.Equal(suffix, suffixUnit) && m.isStr:
				c.unit = m.str
			}
		}
		p.emit(&c)
	}
	return nil
}

// lpStatus returns the status code of a status field, string or integer.
func lpStatus(f *lpField) (string, error) {
	if f.isStr {
		return statusString(f.str)
	}
	if f.bad != "" {
		return "", errStatus
	}
	return statusNumber(f.num)
}
