package sim

import (
	"math"
	"time"

	"github.com/quantrac/quantrac"
)

// Message is one record set of one station: what a datalogger sends every interval.
// Encoders in internal/sim/payload turn it into bytes.
type Message struct {
	Station *quantrac.Station // the simulated station
	// ID is the station id of the topic (and file name); PayloadID is the id written inside
	// the payload. Both are Station.ID except for the unknown_station and wrong_station kinds.
	ID, PayloadID string
	Kind          quantrac.Kind
	Time          time.Time // measurement time
	Status        string    // message status code, "00"
	Readings      []Reading
	Bad           BadKind // Good, or the kind of bad message this is meant to be
	// Variant is seeded random bits per message and StationVariant per station: encoders use
	// them to pick among equivalent spellings (file layouts, decimal commas, …).
	Variant, StationVariant uint64
}

// Reading is one parameter's value in a message.
type Reading struct {
	Param  string
	Value  float64 // canonical unit
	Status string  // "" = the message's status; "01" while that analyser calibrates
	// AltUnit asks encoders that can state a unit to write this gas in ppb.
	AltUnit bool
	// Fault is the data fault injected into this reading, NoFault for most.
	Fault Fault
}

// Message fills dst with what station st reports at t, reusing dst.Readings. The message is
// deterministic: the same model, station and time give the same message. Bad kinds that need
// the run's context (the wall clock, another station) are applied by ApplyBad.
func (m *Model) Message(dst *Message, st *quantrac.Station, t time.Time) {
	sh := strHash(st.ID)
	tk := uint64(t.UnixNano())
	*dst = Message{
		Station: st, ID: st.ID, PayloadID: st.ID, Kind: st.Kind, Time: t, Status: quantrac.StatusMeasuring,
		Readings:       dst.Readings[:0],
		Variant:        hashOf(m.Seed, saltVariant, sh, tk),
		StationVariant: hashOf(m.Seed, saltVariant, sh),
	}
	ep, in := m.EpisodeAt(st, t)
	var epp *Episode
	if in {
		epp = &ep
	}
	h := localHour(t, st.TimeLocation())
	for _, p := range m.ParamsOf(st.Kind) {
		dst.Readings = append(dst.Readings, Reading{Param: p.ID, Value: m.value(st, p, t, h, epp)})
	}
	n := uint64(len(dst.Readings))
	if n == 0 {
		return
	}
	if len(m.Faults) > 0 && m.FaultRate > 0 {
		m.injectFaults(dst)
	}
	if m.Calibrate > 0 && unit(hashOf(m.Seed, saltCalibrate, sh, tk)) < m.Calibrate {
		dst.Readings[hashOf(m.Seed, saltCalibrate, sh, tk, 1)%n].Status = quantrac.StatusCalibrating
	}
	if st.Kind == quantrac.Air && m.AltUnit > 0 && unit(hashOf(m.Seed, saltAltUnit, sh, tk)) < m.AltUnit {
		for i := range dst.Readings {
			// A faulty reading keeps µg/m³: a stuck value converted to ppb and back may not
			// repeat exactly.
			if p, _ := LookupParam(st.Kind, dst.Readings[i].Param); p.MolarMass > 0 && dst.Readings[i].Fault == NoFault {
				dst.Readings[i].AltUnit = true
				break
			}
		}
	}
	if m.Bad > 0 && unit(hashOf(m.Seed, saltBad, sh, tk)) < m.Bad {
		kinds := m.BadKinds
		if len(kinds) == 0 {
			kinds = AllBadKinds()
		}
		dst.Bad = kinds[hashOf(m.Seed, saltBadKind, sh, tk)%uint64(len(kinds))]
	}
}

// FutureSkew is how far ahead of the wall clock a future_time message is stamped: far beyond
// any sane max_future_skew.
const FutureSkew = 24 * time.Hour

// UnknownPrefix is prepended to a station id to make the id of an unregistered station.
const UnknownPrefix = "UNREG-"

// ApplyBad turns a message drawn as bad into that kind of bad message, for the kinds that
// change its content: now is the wall clock (future_time), other a registered station other
// than the message's (wrong_station; "" makes one up). Malformed and oversized payloads are
// made by the encoder (payload.Bad).
func (msg *Message) ApplyBad(now time.Time, other string) {
	pick := func(concentration bool) int {
		var idx []int
		for i, r := range msg.Readings {
			if p, _ := LookupParam(msg.Kind, r.Param); !concentration || p.Concentration {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return -1
		}
		return idx[msg.Variant%uint64(len(idx))]
	}
	switch msg.Bad {
	case BadNaN:
		if i := pick(false); i >= 0 {
			msg.Readings[i].Value = math.NaN()
		}
	case BadNegative:
		if i := pick(true); i >= 0 {
			msg.Readings[i].Value = -math.Max(msg.Readings[i].Value, 0.1)
		}
	case BadFutureTime:
		msg.Time = now.Add(FutureSkew).Truncate(time.Second)
	case BadUnknownStation:
		msg.ID = UnknownPrefix + msg.Station.ID
		msg.PayloadID = msg.ID
	case BadWrongStation:
		if other == "" || other == msg.Station.ID {
			other = msg.Station.ID + "-OTHER"
		}
		msg.PayloadID = other
	}
}

// ReadingCount returns how many readings the message carries.
func (msg *Message) ReadingCount() int { return len(msg.Readings) }

// LocalTime returns the measurement time in the station's time zone.
func (msg *Message) LocalTime() time.Time { return msg.Time.In(msg.Station.TimeLocation()) }

// BadKind is the kind of a deliberately bad message (bad input is counted by reason: README.md,
// "Metrics").
type BadKind uint8

// The bad kinds. The comment names the result quantrac is expected to give.
const (
	Good              BadKind = iota
	BadMalformed              // payload cannot be decoded: malformed
	BadUnknownStation         // station not in the registry: unknown_station
	BadNaN                    // one reading is NaN (written as the token NaN): reading rejected
	BadNegative               // one concentration is negative: reading out of range
	BadFutureTime             // time a day ahead of the wall clock: time too far in the future
	BadOversized              // payload larger than 256 KiB: too_large
	BadWrongStation           // payload names another station than the topic: forbidden
	numBadKinds
)

var badNames = [numBadKinds]string{"good", "malformed", "unknown_station", "nan", "negative", "future_time", "oversized", "wrong_station"}

// String returns the kind's name as stationsim's summary prints it.
func (k BadKind) String() string {
	if k < numBadKinds {
		return badNames[k]
	}
	return "unknown"
}

// AllBadKinds returns every bad kind (not Good), in order.
func AllBadKinds() []BadKind {
	out := make([]BadKind, 0, numBadKinds-1)
	for k := BadMalformed; k < numBadKinds; k++ {
		out = append(out, k)
	}
	return out
}

// NumBadKinds is the number of BadKind values including Good, for arrays indexed by kind.
const NumBadKinds = int(numBadKinds)
