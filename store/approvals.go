package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
)

// ApprovalFilter selects approvals: those of Station ("": every station) for Month
// (YYYY-MM; "": every month).
type ApprovalFilter struct {
	Station string
	Month   string
}

// AddApproval stores a new approval (tag station; fields id, month, user, created_at; the
// point's time is created_at) and returns it as stored. Without an ID it gets one (NewID);
// CreatedAt must be set.
func (s *QC) AddApproval(ctx context.Context, a quantrac.Approval) (quantrac.Approval, error) {
	if a.Station == "" || a.Month == "" || a.User == "" || a.CreatedAt.IsZero() {
		return a, errors.New("approval: station, month, user and created_at are required")
	}
	if a.ID == "" {
		a.ID = NewID()
	}
	a.CreatedAt = a.CreatedAt.UTC()
	p := &Point{Measurement: MeasurementApprovals, Tags: approvalTags(&a), Time: a.CreatedAt, Fields: []Field{
		{"id", a.ID}, {"month", a.Month}, {"user", a.User}, {"created_at", formatTime(a.CreatedAt)},
	}}
	return a, s.write(ctx, []*Point{p})
}

func approvalTags(a *quantrac.Approval) []Tag { return []Tag{{"station", a.Station}} }

// Approval returns the approval with the given id; the error wraps ErrNotFound when there is
// none.
func (s *QC) Approval(ctx context.Context, id string) (quantrac.Approval, error) {
	r, err := s.byID(ctx, MeasurementApprovals, id)
	if err != nil {
		return quantrac.Approval{}, err
	}
	return approvalOf(r), nil
}

// WithdrawApproval withdraws the approval with the given id: withdrawn_by and withdrawn_at
// are written onto its point. The error wraps ErrNotFound for an unknown id and ErrRevoked
// for an approval already withdrawn.
func (s *QC) WithdrawApproval(ctx context.Context, id, by string, at time.Time) (quantrac.Approval, error) {
	if by == "" || at.IsZero() {
		return quantrac.Approval{}, errors.New("approval: withdrawing needs who and when")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.Approval(ctx, id)
	if err != nil {
		return a, err
	}
	if !a.Active() {
		return a, fmt.Errorf("approval %s: %w (withdrawn) by %s at %s", id, ErrRevoked, a.WithdrawnBy, formatTime(a.WithdrawnAt))
	}
	p := &Point{Measurement: MeasurementApprovals, Tags: approvalTags(&a), Time: a.CreatedAt, Fields: []Field{
		{"withdrawn_by", by}, {"withdrawn_at", formatTime(at)},
	}}
	if err := s.write(ctx, []*Point{p}); err != nil {
		return a, err
	}
	a.WithdrawnBy, a.WithdrawnAt = by, at.UTC()
	return a, nil
}

// Approvals returns the approvals f selects, withdrawn ones too, by station, month and time
// of approval.
func (s *QC) Approvals(ctx context.Context, f ApprovalFilter) ([]quantrac.Approval, error) {
	out := []quantrac.Approval{}
	err := s.eachRow(ctx, ApprovalsQuery(f), func(r row) error {
		out = append(out, approvalOf(r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b quantrac.Approval) int {
		return cmp.Or(cmp.Compare(a.Station, b.Station), cmp.Compare(a.Month, b.Month), a.CreatedAt.Compare(b.CreatedAt))
	})
	return out, nil
}

// ApprovalsQuery returns the InfluxQL statement Approvals runs.
func ApprovalsQuery(f ApprovalFilter) string {
	var where []string
	if f.Station != "" {
		where = append(where, `"station" = `+QuoteString(f.Station))
	}
	if f.Month != "" {
		where = append(where, `"month" = `+QuoteString(f.Month))
	}
	q := "SELECT * FROM " + quoteIdent(MeasurementApprovals)
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " GROUP BY *"
}

// approvalOf reads an approval from an approvals row.
func approvalOf(r row) quantrac.Approval {
	return quantrac.Approval{ID: r.str("id"), Station: r.str("station"), Month: r.str("month"), User: r.str("user"),
		CreatedAt: r.time.UTC(), WithdrawnBy: r.str("withdrawn_by"), WithdrawnAt: parseTime(r.cols["withdrawn_at"])}
}
