package payload

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
)

// Limits bound the work one message may cause. Zero fields take the DefaultLimits value.
type Limits struct {
	MaxReadings   int           // readings per message; the rest are rejected too_many_readings
	MaxArray      int           // elements of a JSON backlog array or SenML pack; more is malformed
	MaxFutureSkew time.Duration // readings later than now+MaxFutureSkew are future_time
	MaxAge        time.Duration // readings earlier than now-MaxAge are too_old
	MaxStringLen  int           // longest JSON string, line protocol string or data line token
	// AcceptReceiveTime takes readings that carry no time of their own (line protocol without
	// a timestamp, SenML whose resolved time is relative to now) at the receive time. Off,
	// they are rejected no_time: a message redelivered after a crash would otherwise be
	// stored a second time, at its second receive time.
	AcceptReceiveTime bool
}

// DefaultLimits returns the limits used for zero fields: the configuration's defaults
// max_future_skew 5m and max_age 720h (README.md, "Configuration reference"), and bounds
// generous enough for a day of 5-minute backlog.
func DefaultLimits() Limits {
	return Limits{
		MaxReadings:   10_000,
		MaxArray:      10_000,
		MaxFutureSkew: 5 * time.Minute,
		MaxAge:        720 * time.Hour,
		MaxStringLen:  1024,
	}
}

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxReadings <= 0 {
		l.MaxReadings = d.MaxReadings
	}
	if l.MaxArray <= 0 {
		l.MaxArray = d.MaxArray
	}
	if l.MaxFutureSkew <= 0 {
		l.MaxFutureSkew = d.MaxFutureSkew
	}
	if l.MaxAge <= 0 {
		l.MaxAge = d.MaxAge
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = d.MaxStringLen
	}
	return l
}

// Message-level reasons, the Reason of a *MessageError.
const (
	ReasonMalformed = "malformed" // the payload cannot be decoded
	ReasonForbidden = "forbidden" // the payload names another station (or kind) than its topic
)

// Reading-level reasons, the Reason of a RejectedReading. They are metric label values.
const (
	ReasonUnknownParameter = "unknown_parameter"
	ReasonUnknownUnit      = "unknown_unit"
	ReasonNotANumber       = "not_a_number" // NaN, Inf, non-numeric, empty, SenML vs/vb/vd
	ReasonOutOfRange       = "out_of_range"
	ReasonFutureTime       = "future_time"
	ReasonTooOld           = "too_old"
	ReasonBadTime          = "bad_time" // unparseable or missing time
	ReasonNoTime           = "no_time"  // no time of its own, only the receive time (Limits.AcceptReceiveTime)
	ReasonDuplicate        = "duplicate_parameter"
	ReasonTooMany          = "too_many_readings"
)

// rejectedReasons are the reading-level reasons, in the order of Result.RejectedBy.
var rejectedReasons = [...]string{ReasonUnknownParameter, ReasonUnknownUnit, ReasonNotANumber, ReasonOutOfRange,
	ReasonFutureTime, ReasonTooOld, ReasonBadTime, ReasonNoTime, ReasonDuplicate, ReasonTooMany}

// RejectedReadingReasons lists every reading-level reason, in the order of Result.RejectedBy.
func RejectedReadingReasons() []string { return rejectedReasons[:] }

// MaxRejectedDetails is the number of rejected readings of one message that are itemized in
// Result.Rejected; the rest are only counted, in Result.RejectedMore and Result.RejectedBy.
const MaxRejectedDetails = 100

// RejectedReading is one reading of a message that was not accepted.
type RejectedReading struct {
	Reason string `json:"reason"` // one of the Reason… reading-level constants
	Param  string `json:"param"`  // canonical id when known, else the name as sent (at most 64 bytes)
	Err    string `json:"error"`  // human-readable detail
}

// Result is what one message decoded to: the readings accepted, fully validated (canonical
// parameter id and unit, the registered station's ID and Kind, Status "00" unless the payload
// says otherwise, Maintenance from the station's windows, Time in UTC), and the readings
// rejected. Parse appends to both; Reset empties them keeping their memory.
type Result struct {
	Readings []quantrac.Reading
	Rejected []RejectedReading
	// RejectedMore counts the rejected readings beyond the first MaxRejectedDetails, which are
	// neither itemized nor counted by reason: one hostile message of 40,000 unknown keys must
	// not cost 40,000 explanations (it is kept whole in rejected_messages all the same).
	RejectedMore int
	// RejectedBy counts every rejected reading, itemized or not, by reason in the order of
	// RejectedReadingReasons.
	RejectedBy [len(rejectedReasons)]int
	// Charset is "" for UTF-8 payloads and "windows-1258" when a data line payload was not
	// valid UTF-8 and was decoded as the Vietnamese Windows code page instead.
	Charset string
}

// Reset empties the result for the next message, keeping the allocated memory.
func (r *Result) Reset() {
	clear(r.Readings) // drop pointers into old strings
	r.Readings = r.Readings[:0]
	clear(r.Rejected)
	r.Rejected = r.Rejected[:0]
	r.RejectedMore = 0
	r.RejectedBy = [len(rejectedReasons)]int{}
	r.Charset = ""
}

// MessageError is a failure of a whole message: nothing of it is accepted.
type MessageError struct {
	Reason string // ReasonMalformed or ReasonForbidden
	Err    error
}

// Error returns the reason and the detail.
func (e *MessageError) Error() string { return e.Reason + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *MessageError) Unwrap() error { return e.Err }

// ErrNilStation is returned by Parse when called without a station: a caller bug, not a
// property of the message.
var ErrNilStation = errors.New("payload: nil station")

func malformed(format string, args ...any) error {
	return &MessageError{Reason: ReasonMalformed, Err: fmt.Errorf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &MessageError{Reason: ReasonForbidden, Err: fmt.Errorf(format, args...)}
}

// Parser decodes and validates payloads. It keeps scratch memory between messages, so it is
// not safe for concurrent use: give each worker goroutine its own.
type Parser struct {
	lim Limits

	// Per message, set by Parse.
	st    *quantrac.Station
	now   time.Time
	out   *Result
	count int // candidate readings seen

	seen    []seenKey            // (parameter, time) pairs of this message, for duplicates
	seenMap map[seenKey]struct{} // used instead of seen once a message has many readings
	scratch []byte               // unescaped strings of this message
	name    []byte               // SenML resolved names
	recode  []byte               // a transcoded data line payload
	cands   []candidate          // readings of one native JSON object
	tokens  []span               // data line tokens of one line
	fields  []lpField            // line protocol fields of one line
}

// NewParser returns a Parser enforcing lim (zero fields take DefaultLimits).
func NewParser(lim Limits) *Parser {
	return &Parser{lim: lim.withDefaults()}
}

// Limits returns the limits the parser enforces, defaults filled in.
func (p *Parser) Limits() Limits { return p.lim }

// Parse decodes payload, sent on a topic naming station st (looked up in the registry by the
// caller) and kind, and appends its readings and rejected readings to out; now is the receive
// time. Format Auto detects the format from the content; a leading UTF-8 byte order mark is
// ignored. A failure of the whole message returns a *MessageError (forbidden also when kind,
// if not empty, is not the station's kind) and leaves out as it was. A message whose readings
// are all rejected is not an error.
func (p *Parser) Parse(f Format, st *quantrac.Station, kind quantrac.Kind, payload []byte, now time.Time, out *Result) error {
	if st == nil {
		return ErrNilStation
	}
	if kind != "" && kind != st.Kind {
		return forbidden("topic kind %q is not the kind %q of station %s", kind, st.Kind, st.ID)
	}
	payload = bytes.TrimPrefix(payload, bom)
	if f == Auto {
		f = Detect(payload)
	}
	p.begin(st, now, out)
	nr, nj, nm, nb, cs := len(out.Readings), len(out.Rejected), out.RejectedMore, out.RejectedBy, out.Charset
	var err error
	switch f {
	case JSON:
		err = p.parseJSON(payload)
	case SenML:
		err = p.parseSenML(payload)
	case LineProtocol:
		err = p.parseLine(payload)
	case DataLine:
		err = p.parseDataLine(payload)
	default:
		err = malformed("unrecognised payload format (%d bytes)", len(payload))
	}
	if err != nil {
		clear(out.Readings[nr:])
		out.Readings = out.Readings[:nr]
		clear(out.Rejected[nj:])
		out.Rejected = out.Rejected[:nj]
		out.RejectedMore = nm
		out.RejectedBy = nb
		out.Charset = cs
	}
	p.end()
	return err
}

func (p *Parser) begin(st *quantrac.Station, now time.Time, out *Result) {
	p.st, p.now, p.out, p.count = st, now, out, 0
	p.seen = p.seen[:0]
	clear(p.seenMap)
	p.scratch = p.scratch[:0]
}

func (p *Parser) end() {
	p.st, p.out = nil, nil
	if cap(p.scratch) > 1<<20 { // do not pin huge buffers after one huge message
		p.scratch = nil
	}
	if cap(p.recode) > 1<<20 {
		p.recode = nil
	}
	if cap(p.cands) > 4096 {
		p.cands = nil
	}
}

// stationMatches reports whether a station named in a payload is the topic's station.
func (p *Parser) stationMatches(name []byte) bool {
	if string(name) == p.st.ID {
		return true
	}
	for _, a := range p.st.Aliases {
		if string(name) == a {
			return true
		}
	}
	return false
}

// checkStation returns a forbidden error when name is not the topic's station.
func (p *Parser) checkStation(name []byte) error {
	if p.stationMatches(name) {
		return nil
	}
	return forbidden("payload names station %q, topic names %s", clip(name), p.st.ID)
}

// clip returns b as a string of at most 64 bytes, for error messages.
func clip(b []byte) string {
	const limit = 64
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}
