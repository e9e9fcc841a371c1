package store

import (
	"time"

	"github.com/quantrac/quantrac"
)

// ReasonWriteRejected is the rejected_messages reason for points InfluxDB refused for good.
const ReasonWriteRejected = "write_rejected"

func rejectionOf(m msgSpan, lines []byte, err error) *quantrac.Rejection {
	return &quantrac.Rejection{
		Reason:   ReasonWriteRejected,
		Station:  m.station,
		Topic:    m.topic,
		Payload:  lines,
		Err:      err.Error(),
		Received: time.Now(),
	}
}
