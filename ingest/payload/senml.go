package payload

import (
	"bytes"
	"math"
	"time"
)

// senmlRelative is RFC 8428 §4.5.3's bound: resolved times below 2**28 are relative to now.
const senmlRelative = 1 << 28

// senmlBase is the base state of a SenML pack; base fields apply from the record that sets
// them to the end of the pack, or until set again.
type senmlBase struct {
	name, unit []byte
	time       float64
	value      float64
	hasValue   bool
}

// senmlRecord is one record's own fields.
type senmlRecord struct {
	name, unit    []byte
	hasName       bool
	hasUnit       bool
	time, value   float64
	hasValue, sum bool
	bad           string // set for vs, vb, vd or a non-numeric v
	status        string // quantrac extension: the instrument status code
}

// parseSenML decodes a SenML JSON pack (RFC 8428):
//
//	[{"bn": "LC-AQ-01/", "bt": 1764313500, "bu": "ug/m3", "n": "pm25", "v": 38.2},
//	 {"n": "so2", "u": "ppb", "v": 12, "t": 0}]
//
// The resolved name (bn + n) is "[prefix(/|:)]parameter"; the last segment of the prefix,
// when there is one, must be the topic's station. A record may carry the instrument status
// code in the extension field "status".
func (p *Parser) parseSenML(b []byte) error {
	s := p.scanner(b)
	if err := s.enter('['); err != nil {
		return err
	}
	var base senmlBase
	for n := 0; ; n++ {
		more, err := s.nextElem(n == 0)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if n >= p.lim.MaxArray {
			return malformed("senml: pack longer than the limit of %d records", p.lim.MaxArray)
		}
		var r senmlRecord
		if err := p.senmlFields(&s, &base, &r); err != nil {
			return err
		}
		if err := p.senmlEmit(&base, &r); err != nil {
			return err
		}
	}
	return s.end()
}

// senmlFields reads one record, updating the base state with its base fields.
func (p *Parser) senmlFields(s *jscan, base *senmlBase, r *senmlRecord) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		key, more, err := s.nextKey(first)
		if err != nil || !more {
			return err
		}
		switch string(key) {
		case "bn":
			base.name, err = s.str()
		case "bu":
			base.unit, err = s.str()
		case "bt":
			base.time, err = s.num()
		case "bv":
			base.value, err = s.num()
			base.hasValue = true
		case "n":
			r.name, err = s.str()
			r.hasName = true
		case "u":
			r.unit, err = s.str()
			r.hasUnit = true
		case "t":
			r.time, err = s.num()
		case "v":
			r.hasValue = true
			if s.peek() == '"' || s.peek() == '{' || s.peek() == '[' || s.peek() == 't' || s.peek() == 'f' || s.peek() == 'n' {
				r.bad, err = badNonNumeric, s.skip()
			} else {
				r.value, err = s.num()
			}
		case "vs":
			r.hasValue, r.bad, err = true, badStringValue, s.skip()
		case "vb":
			r.hasValue, r.bad, err = true, badBoolValue, s.skip()
		case "vd":
			r.hasValue, r.bad, err = true, badDataValue, s.skip()
		case "s":
			r.sum = true
			_, err = s.num()
		case "status":
			r.status, err = p.jsonStatus(s)
		case "bs", "bver", "ut":
			_, err = s.num()
		default:
			if len(key) > 0 && key[len(key)-1] == '_' {
				return malformed("senml: unsupported must-understand field %q", clip(key))
			}
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

// senmlEmit resolves a record against the base state and emits it. Base-only records (no
// name and no value) emit nothing.
func (p *Parser) senmlEmit(base *senmlBase, r *senmlRecord) error {
	if !r.hasName && !r.hasValue && !r.sum {
		return nil
	}
	p.name = append(append(p.name[:0], base.name...), r.name...)
	name := p.name
	if i := bytes.LastIndexAny(name, "/:"); i >= 0 {
		prefix := name[:i]
		name = name[i+1:]
		if j := bytes.LastIndexAny(prefix, "/:"); j >= 0 {
			prefix = prefix[j+1:]
		}
		if len(prefix) > 0 {
			if err := p.checkStation(prefix); err != nil {
				return err
			}
		}
	}
	c := candidate{name: name, unit: base.unit, bad: r.bad, status: r.status}
	if r.hasUnit {
		c.unit = r.unit
	}
	switch {
	case r.bad != "":
	case r.hasValue:
		c.value = r.value
		if base.hasValue {
			c.value += base.value
		}
	case r.sum:
		c.bad = badSumValue
	case base.hasValue:
		c.value = base.value
	default:
		c.bad = badMissingValue
	}
	c.time, c.tbad = p.senmlTime(base.time + r.time)
	p.emit(&c)
	return nil
}

// senmlTime resolves a SenML time: absolute Unix seconds, or relative to now when below 2**28
// (0, the default, is now). A relative time is no time of the reading's own: it is rejected
// unless Limits.AcceptReceiveTime.
func (p *Parser) senmlTime(t float64) (time.Time, string) {
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return time.Time{}, badTimeRange
	}
	if t < senmlRelative {
		if t < -senmlRelative {
			return time.Time{}, badTimeRange
		}
		if !p.lim.AcceptReceiveTime {
			return time.Time{}, badNoOwnTime
		}
		return p.now.Add(time.Duration(t * float64(time.Second))).UTC(), ""
	}
	return unixTime(t)
}
