package store

// Fate is what becomes of one message once the store has tried to keep its data
// (docs/decisions/0001-puback-when-durable.md). Only Durable and Quarantined messages are
// acknowledged.
type Fate uint8

const (
	// Held means nothing of the message is durable. It is not acknowledged; the store
	// retries it, and after a stop the broker redelivers it.
	Held Fate = iota
	// Durable means its points are in InfluxDB or appended and synced to the spool.
	Durable
	// Quarantined means InfluxDB refused its points for good, and the quarantine entry that
	// keeps the message (rejected_messages) is itself in InfluxDB or the spool.
	Quarantined
)

func (f Fate) String() string {
	switch f {
	case Durable:
		return "durable"
	case Quarantined:
		return "quarantined"
	}
	return "held"
}

// Outcome is the result of one attempt to keep some points.
type Outcome uint8

// The outcomes of an attempt.
const (
	NotTried Outcome = iota // no attempt was made
	Written                 // InfluxDB took them
	Spooled                 // InfluxDB was unavailable; they are appended and synced to the spool
	Refused                 // InfluxDB refused them for good (a 4xx other than auth or not found)
	Failed                  // InfluxDB was unavailable and the spool could not take them (none, full, failed)
)

func (o Outcome) String() string {
	return [...]string{"not_tried", "written", "spooled", "refused", "failed"}[o]
}

// decide is the one place where a message's fate is decided, from what happened to its data
// and, when InfluxDB refused the data, to its quarantine entry:
//
//	data      quarantine         fate
//	written   —                  durable
//	spooled   —                  durable
//	failed    —                  held
//	not_tried —                  held
//	refused   written, spooled   quarantined
//	refused   refused, failed,   held
//	          not_tried
//
// A retryable error is never a refusal: it ends spooled or failed, never quarantined.
func decide(data, quarantine Outcome) Fate {
	switch data {
	case Written, Spooled:
		return Durable
	case Refused:
		if quarantine == Written || quarantine == Spooled {
			return Quarantined
		}
	}
	return Held
}
