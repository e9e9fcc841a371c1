package quantrac

import "time"

// Envelope is what one received message becomes on its way from the source to the store
// (docs/architecture.md): the readings it carried, why it or some of its readings were refused,
// the violation transitions and air-quality indices derived from its readings, and the
// acknowledgement. Ingest fills Topic … Rejection, the rules add Transitions and Indices, and
// the store encodes it, writes it and decides in one place whether Ack may be called.
type Envelope struct {
	Topic    string
	Payload  []byte    // the message exactly as received; kept if the store must quarantine it
	Received time.Time // when quantrac received the message
	// Station is the registered station the topic names; nil when the topic names none.
	Station *Station
	// Readings are the accepted readings (valid and flagged), all of Station.
	Readings []Reading
	// Rejection, when Reason is set, is the quarantine entry of a message refused as a whole or
	// of the readings refused in a partly valid one (kept in rejected_messages).
	Rejection Rejection
	// Transitions are the violation starts and ends the readings caused.
	Transitions []Transition
	// Indices are the air-quality indices of the hours and days the readings completed.
	Indices []Index
	// Ack acknowledges the message to the broker or stream; the store calls it once the
	// message is durable, and never otherwise. Nil for messages that need none.
	Ack func()
}

// Reset empties e for reuse, keeping its slices' capacity.
func (e *Envelope) Reset() {
	*e = Envelope{Readings: e.Readings[:0], Transitions: e.Transitions[:0], Indices: e.Indices[:0]}
}

// Index is a station's air-quality index for one clock hour or one local day
// (rules/aqi/README.md, "Which indices quantrac writes").
type Index struct {
	Station    string
	Scheme     string // vn, us
	Period     string // 1h, 24h
	Value      int
	Category   string     // category name in English
	CategoryVI string     // category name in Vietnamese
	Color      string     // the scheme's official colour, #rrggbb
	Dominant   string     // the pollutant with the largest sub-index
	Sub        []SubIndex // every pollutant that had a sub-index, in pm25, pm10, o3, no2, so2, co order
	End        time.Time  // end of the hour or day described
}

// SubIndex is one pollutant's rounded sub-index.
type SubIndex struct {
	Pollutant string
	Value     int
}
