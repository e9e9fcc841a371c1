package quantrac

import "time"

// Approval says that a user checked a station's data of one month (docs/data-quality.md).
// It locks nothing: a report of the month names who approved it and when. Approvals are
// never erased: withdrawing one sets WithdrawnBy and WithdrawnAt.
type Approval struct {
	ID      string `json:"id"`
	Station string `json:"station"`
	Month   string `json:"month"` // YYYY-MM
	// User is the user the server authenticated when the approval was written.
	User        string    `json:"user"`
	CreatedAt   time.Time `json:"created_at"`
	WithdrawnBy string    `json:"withdrawn_by,omitempty"`
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
}

// Active reports whether the approval is in force (not withdrawn).
func (a *Approval) Active() bool { return a.WithdrawnAt.IsZero() && a.WithdrawnBy == "" }
