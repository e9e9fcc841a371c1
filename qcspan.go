package quantrac

import (
	"slices"
	"time"
)

// QC span actions and sources: the action field and the source tag of InfluxDB measurement
// qc_spans (docs/data-quality.md).
const (
	QCInvalidate = "invalidate"
	QCValidate   = "validate"
	QCSourceAuto = "auto"
	QCSourceUser = "user"
	// QCAllParameters in Parameter makes a span cover every parameter of the station.
	QCAllParameters = "*"
)

// QCSpan is one statement about the quality of a station's readings: every reading of
// Parameter (QCAllParameters: all) with From ≤ time ≤ To is invalid (QCInvalidate) or valid
// again (QCValidate, which overrides the invalidate spans created before it). Spans are never
// erased: revoking one sets RevokedBy and RevokedAt, and a revoked span says nothing.
type QCSpan struct {
	ID        string    `json:"id"`
	Station   string    `json:"station"`
	Parameter string    `json:"parameter"`
	Source    string    `json:"source"` // QCSourceAuto or QCSourceUser
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Action    string    `json:"action"` // QCInvalidate or QCValidate
	Reason    string    `json:"reason"`
	// User is who created the span: the user the server authenticated, or "auto".
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	RevokedBy string    `json:"revoked_by,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Active reports whether the span is in force (not revoked).
func (s *QCSpan) Active() bool { return s.RevokedAt.IsZero() && s.RevokedBy == "" }

// Covers reports whether the span is about parameter param at instant t (revoked or not).
func (s *QCSpan) Covers(param string, t time.Time) bool {
	return (s.Parameter == param || s.Parameter == QCAllParameters) && !t.Before(s.From) && !t.After(s.To)
}

// QCSpans are the spans of one station, in any order.
type QCSpans []QCSpan

// Invalid reports whether the reading of param at t is invalid: an active invalidate span
// covers it and no active validate span created after that span covers it.
func (ss QCSpans) Invalid(param string, t time.Time) bool { return ss.InvalidBy(param, t) != nil }

// InvalidBy returns the span that makes the reading of param at t invalid: the newest active
// invalidate span covering it, unless an active validate span created after it covers it too;
// nil when the reading is valid. Its Source says who invalidated the reading.
func (ss QCSpans) InvalidBy(param string, t time.Time) *QCSpan {
	var inv *QCSpan   // the newest active invalidate span covering it
	var val time.Time // the newest active validate span covering it
	for i := range ss {
		s := &ss[i]
		if !s.Active() || !s.Covers(param, t) {
			continue
		}
		switch s.Action {
		case QCInvalidate:
			if inv == nil || s.CreatedAt.After(inv.CreatedAt) {
				inv = s
			}
		case QCValidate:
			if s.CreatedAt.After(val) {
				val = s.CreatedAt
			}
		}
	}
	if inv == nil || val.After(inv.CreatedAt) {
		return nil
	}
	return inv
}

// Sorted returns the spans sorted by From, then To, then ID.
func (ss QCSpans) Sorted() QCSpans {
	out := slices.Clone(ss)
	slices.SortFunc(out, func(a, b QCSpan) int {
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		if c := a.To.Compare(b.To); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}
