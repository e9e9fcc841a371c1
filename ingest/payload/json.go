package payload

import (
	"errors"
	"strconv"
	"time"
)

// scanner returns a JSON scanner over b using the parser's scratch memory and limits.
func (p *Parser) scanner(b []byte) jscan {
	return jscan{b: b, scratch: &p.scratch, maxStr: p.lim.MaxStringLen, maxArr: p.lim.MaxArray}
}

// msgHeader holds what a native JSON object says for all its readings.
type msgHeader struct {
	time   time.Time
	tbad   string
	status string
}

// parseJSON decodes native JSON: one object, or an array of objects (a backlog).
//
//	{"time": "2026-11-28T14:05:00+07:00", "station": "LC-AQ-01", "status": "00",
//	 "readings": {"pm25": 38.2, "so2": {"value": 12, "unit": "ppb", "status": "01"}}}
func (p *Parser) parseJSON(b []byte) error {
	s := p.scanner(b)
	switch s.peek() {
	case '{':
		if err := p.nativeObject(&s); err != nil {
			return err
		}
	case '[':
		s.i++
		for n := 0; ; n++ {
			more, err := s.nextElem(n == 0)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			if n >= p.lim.MaxArray {
				return malformed("json: backlog array longer than the limit of %d", p.lim.MaxArray)
			}
			if err := p.nativeObject(&s); err != nil {
				return err
			}
		}
	default:
		return s.fail("expected an object or an array of objects")
	}
	return s.end()
}

// nativeObject decodes one message object. Its members may come in any order, so readings
// are buffered and take the message's time and status once the whole object is read.
func (p *Parser) nativeObject(s *jscan) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	h := msgHeader{tbad: badMissingTime}
	p.cands = p.cands[:0]
	hasReadings := false
	for first := true; ; first = false {
		key, more, err := s.nextKey(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		switch string(key) {
		case "time":
			h.time, h.tbad, err = p.jsonTime(s)
		case "station":
			var name []byte
			if name, err = s.str(); err == nil {
				err = p.checkStation(name)
			}
		case "status":
			h.status, err = p.jsonStatus(s)
		case "readings":
			hasReadings = true
			err = p.nativeReadings(s)
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
	if !hasReadings {
		return malformed("json: message object has no \"readings\"")
	}
	for i := range p.cands {
		c := &p.cands[i]
		if !c.ownTime {
			c.time, c.tbad = h.time, h.tbad
		}
		if c.status == "" {
			c.status = h.status
		}
		p.emit(c)
	}
	return nil
}

// nativeReadings decodes the "readings" object into p.cands: parameter name → number,
// numeric string or {"value", "unit", "status", "time"}.
func (p *Parser) nativeReadings(s *jscan) error {
	if s.peek() != '{' {
		return s.fail("\"readings\" must be an object")
	}
	s.i++
	for first := true; ; first = false {
		key, more, err := s.nextKey(first)
		if err != nil || !more {
			return err
		}
		p.cands = append(p.cands, candidate{name: key})
		if err := p.jsonValue(s, &p.cands[len(p.cands)-1], true); err != nil {
			return err
		}
	}
}

// jsonValue decodes a reading's value into c; objects are allowed at the top of a reading.
func (p *Parser) jsonValue(s *jscan, c *candidate, objectOK bool) error {
	var err error
	switch s.peek() {
	case '"':
		var b []byte
		if b, err = s.str(); err == nil {
			c.value, c.bad = numericString(b)
		}
	case '{':
		if !objectOK {
			c.bad = badNestedValue
			return s.skip()
		}
		return p.readingObject(s, c)
	case '[':
		c.bad = badNestedValue
		return s.skip()
	case 't', 'f', 'n':
		var lit byte
		if lit, err = s.literal(); lit == 'n' {
			c.bad = badNullValue
		} else {
			c.bad = badBoolValue
		}
	default:
		c.value, err = s.num()
	}
	return err
}

// readingObject decodes {"value": 12, "unit": "ppb", "status": "01", "time": …}.
func (p *Parser) readingObject(s *jscan, c *candidate) error {
	s.i++ // '{'
	c.bad = badMissingValue
	for first := true; ; first = false {
		key, more, err := s.nextKey(first)
		if err != nil || !more {
			return err
		}
		switch string(key) {
		case "value":
			c.bad = ""
			err = p.jsonValue(s, c, false)
		case "unit":
			c.unit, err = s.str()
		case "status":
			var st string
			if st, err = p.jsonStatus(s); st != "" {
				c.status = st
			}
		case "time":
			c.time, c.tbad, err = p.jsonTime(s)
			c.ownTime = true
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

// jsonTime decodes a time: an RFC 3339 string, or Unix seconds as a number or digit string.
// null means no time; any other type is an unusable time.
func (p *Parser) jsonTime(s *jscan) (time.Time, string, error) {
	switch s.peek() {
	case '"':
		b, err := s.str()
		if err != nil {
			return time.Time{}, "", err
		}
		t, bad := textTime(b)
		return t, bad, nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		f, err := s.num()
		if err != nil {
			return time.Time{}, "", err
		}
		t, bad := unixTime(f)
		return t, bad, nil
	case 'n':
		_, err := s.literal()
		return time.Time{}, badMissingTime, err
	}
	return time.Time{}, badTimeSyntax, s.skip()
}

// jsonStatus decodes a status code given as a string ("01") or a number (1).
func (p *Parser) jsonStatus(s *jscan) (string, error) {
	var st string
	var err error
	switch s.peek() {
	case '"':
		var b []byte
		if b, err = s.str(); err == nil {
			st, err = statusString(b)
		}
	case 'n':
		_, err = s.literal()
	default:
		var f float64
		if f, err = s.num(); err == nil {
			st, err = statusNumber(f)
		}
	}
	if err != nil {
		if me := (*MessageError)(nil); !errors.As(err, &me) {
			err = s.fail(err.Error())
		}
	}
	return st, err
}

// numericString parses a number sent as a string ("12.5"); anything else is not a number.
func numericString(b []byte) (float64, string) {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, badEmptyValue
	}
	if len(b) > 64 {
		return 0, badNonNumeric
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return f, ""
		}
		return 0, badNonNumeric
	}
	return f, ""
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
