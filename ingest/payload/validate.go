package payload

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/param"
)

// candidate is one decoded but not yet validated reading. Its byte slices point into the
// payload or the parser's scratch memory and are only valid during emit.
type candidate struct {
	name   []byte
	value  float64
	bad    string // why value is not a number; "" when value holds one
	unit   []byte
	time   time.Time
	tbad   string // why time is not usable; "" when time holds one
	status string // "" means the message's or "00"
	// ownTime is set when a native JSON reading object carries its own time.
	ownTime bool
}

// Details of not_a_number and bad_time, constant so that building a candidate never
// allocates.
const (
	badMissingValue = "no value"
	badEmptyValue   = "empty value field"
	badNonNumeric   = "value is not a number"
	badStringValue  = "string value (SenML vs)"
	badBoolValue    = "boolean value"
	badDataValue    = "data value (SenML vd)"
	badSumValue     = "sum without a value (SenML s)"
	badNullValue    = "null value"
	badNestedValue  = "array or object value"
	badMissingTime  = "no time"
	badNoOwnTime    = "no time of its own, only the receive time (a redelivery would be stored twice)"
	badTimeSyntax   = "unparseable time"
	badTimeRange    = "time out of range"
)

// seenKey identifies a reading within a message for duplicate detection.
type seenKey struct {
	param int
	ns    int64
}

// seenLinear is the number of readings up to which duplicates are found by a linear scan;
// past it the parser switches to a map.
const seenLinear = 32

// emit validates c and appends it to the result, as a reading or as a rejection.
func (p *Parser) emit(c *candidate) {
	p.count++
	if p.count > p.lim.MaxReadings {
		p.reject(ReasonTooMany, clip(c.name), "more than %d readings in one message", p.lim.MaxReadings)
		return
	}
	prm, ok := param.Lookup(string(c.name))
	if !ok {
		p.reject(ReasonUnknownParameter, clip(c.name), "unknown parameter %q", clip(c.name))
		return
	}
	if c.tbad == badNoOwnTime {
		p.reject(ReasonNoTime, prm.ID, "%s", c.tbad)
		return
	}
	if c.tbad != "" {
		p.reject(ReasonBadTime, prm.ID, "%s", c.tbad)
		return
	}
	if c.time.After(p.now.Add(p.lim.MaxFutureSkew)) {
		p.reject(ReasonFutureTime, prm.ID, "time %s is more than %v after receipt at %s",
			c.time.Format(time.RFC3339), p.lim.MaxFutureSkew, p.now.UTC().Format(time.RFC3339))
		return
	}
	if c.time.Before(p.now.Add(-p.lim.MaxAge)) {
		p.reject(ReasonTooOld, prm.ID, "time %s is more than %v before receipt at %s",
			c.time.Format(time.RFC3339), p.lim.MaxAge, p.now.UTC().Format(time.RFC3339))
		return
	}
	if p.duplicate(seenKey{prm.Index(), c.time.UnixNano()}) {
		p.reject(ReasonDuplicate, prm.ID, "%s repeated at %s", prm.ID, c.time.Format(time.RFC3339))
		return
	}
	if c.bad != "" {
		p.reject(ReasonNotANumber, prm.ID, "%s", c.bad)
		return
	}
	if math.IsNaN(c.value) || math.IsInf(c.value, 0) {
		p.reject(ReasonNotANumber, prm.ID, "value %v", c.value)
		return
	}
	v, err := prm.ToCanonical(c.value, string(c.unit))
	if err != nil {
		p.reject(ReasonUnknownUnit, prm.ID, "%v", err)
		return
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		p.reject(ReasonNotANumber, prm.ID, "value %v %s overflows in %s", c.value, clip(c.unit), prm.Unit)
		return
	}
	if !prm.InRange(v) {
		p.reject(ReasonOutOfRange, prm.ID, "%s %s outside %s..%s %s", strconv.FormatFloat(v, 'g', -1, 64),
			prm.Unit, strconv.FormatFloat(prm.Min, 'g', -1, 64), strconv.FormatFloat(prm.Max, 'g', -1, 64), prm.Unit)
		return
	}
	status := c.status
	if status == "" {
		status = quantrac.StatusMeasuring
	}
	p.out.Readings = append(p.out.Readings, quantrac.Reading{
		Station:     p.st.ID,
		Kind:        p.st.Kind,
		Param:       prm.ID,
		Value:       v,
		Time:        c.time,
		Status:      status,
		Maintenance: p.st.InMaintenance(c.time),
	})
}

func (p *Parser) reject(reason, prm, format string, args ...any) {
	for i, r := range rejectedReasons {
		if r == reason {
			p.out.RejectedBy[i]++
		}
	}
	if len(p.out.Rejected) >= MaxRejectedDetails {
		p.out.RejectedMore++
		return
	}
	p.out.Rejected = append(p.out.Rejected, RejectedReading{Reason: reason, Param: prm, Err: fmt.Sprintf(format, args...)})
}

// duplicate records k and reports whether it was seen before in this message.
func (p *Parser) duplicate(k seenKey) bool {
	if len(p.seen) < seenLinear {
		for _, s := range p.seen {
			if s == k {
				return true
			}
		}
		p.seen = append(p.seen, k)
		return false
	}
	if p.seenMap == nil {
		p.seenMap = make(map[seenKey]struct{}, 4*seenLinear)
	}
	if len(p.seenMap) == 0 {
		for _, s := range p.seen {
			p.seenMap[s] = struct{}{}
		}
	}
	if _, ok := p.seenMap[k]; ok {
		return true
	}
	p.seenMap[k] = struct{}{}
	return false
}

// statusCodes holds "00".."99" so that numeric status codes need no allocation.
const statusCodes = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// errStatus is returned for a status that is not a short code.
var errStatus = errors.New("status must be a code of 1 to 8 letters or digits")

// statusString returns the status code for b: one or two digits become the two-digit code
// of Circular 10/2021 ("1" → "01"), other short codes are kept as given.
func statusString(b []byte) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	if len(b) <= 2 && isDigits(b) {
		n := int(b[0] - '0')
		if len(b) == 2 {
			n = n*10 + int(b[1]-'0')
		}
		return statusCodes[2*n : 2*n+2], nil
	}
	if len(b) > 8 {
		return "", errStatus
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return "", errStatus
		}
	}
	return string(b), nil
}

// statusNumber returns the status code of a numeric status (JSON 1 → "01").
func statusNumber(f float64) (string, error) {
	if f < 0 || f > 99 || f != math.Trunc(f) {
		return "", errStatus
	}
	n := int(f)
	return statusCodes[2*n : 2*n+2], nil
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
