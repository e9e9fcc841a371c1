package report

import (
	"context"
	"maps"
	"strconv"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/store"
)

// QC gives the data-quality spans and the approvals stored in InfluxDB (store.QC).
type QC interface {
	Spans(ctx context.Context, f store.SpanFilter) (quantrac.QCSpans, error)
	Approvals(ctx context.Context, f store.ApprovalFilter) ([]quantrac.Approval, error)
}

// Span is a data-quality span with a reading instant in the month, active or revoked, and
// whether it changed after the month's approval (Station.Approved): created after it, or
// revoked after it. Both are false when the month is not approved.
type Span struct {
	quantrac.QCSpan
	CreatedAfterApproval bool `json:"created_after_approval"`
	RevokedAfterApproval bool `json:"revoked_after_approval"`
}

// AfterApproval reports whether the span was created or revoked after the approval.
func (s *Span) AfterApproval() bool { return s.CreatedAfterApproval || s.RevokedAfterApproval }

// approved returns the latest active approval among as, nil when none is active.
func approved(as []quantrac.Approval) *quantrac.Approval {
	var out *quantrac.Approval
	for i := range as {
		if a := &as[i]; a.Active() && (out == nil || a.CreatedAt.After(out.CreatedAt)) {
			out = a
		}
	}
	return out
}

// addQuality adds the month's approvals and spans to a station's report and marks the spans
// that changed after its approval. as are the station's approvals of the month.
func (b *Builder) addQuality(ctx context.Context, s *Station, as []quantrac.Approval) error {
	if as == nil {
		as = []quantrac.Approval{}
	}
	s.Approvals, s.QCSpans = as, []Span{}
	if a := approved(as); a != nil {
		ap := *a
		s.Approved = &ap
	}
	if b.QC == nil {
		return nil
	}
	f := store.SpanFilter{Station: s.ID, From: s.From.Add(time.Nanosecond), To: s.To}
	spans, err := b.QC.Spans(ctx, f)
	if err != nil {
		return err
	}
	s.Queries = append(s.Queries, store.SpansQuery(f))
	for _, sp := range spans {
		x := Span{QCSpan: sp}
		if a := s.Approved; a != nil {
			x.CreatedAfterApproval = sp.CreatedAt.After(a.CreatedAt)
			x.RevokedAfterApproval = sp.RevokedAt.After(a.CreatedAt)
		}
		if x.AfterApproval() {
			s.SpansAfterApproval++
		}
		s.QCSpans = append(s.QCSpans, x)
	}
	return nil
}

// approvalsByStation reads the approvals of month m (of one station, or all when station is
// "") and returns them by station, with the statement that reads them.
func (b *Builder) approvalsByStation(ctx context.Context, m Month, station string) (map[string][]quantrac.Approval, string, error) {
	out := map[string][]quantrac.Approval{}
	if b.QC == nil {
		return out, "", nil
	}
	f := store.ApprovalFilter{Station: station, Month: m.String()}
	as, err := b.QC.Approvals(ctx, f)
	if err != nil {
		return nil, "", err
	}
	for _, a := range as {
		out[a.Station] = append(out[a.Station], a)
	}
	return out, store.ApprovalsQuery(f), nil
}

// addInvalid counts the readings of an hour that spans made invalid, by who invalidated them.
func (c *Capture) addInvalid(h *archive.Hour) {
	c.ReadingsInvalid += h.Invalid
	c.ReadingsInvalidUser += h.InvalidByUser
	c.ReadingsInvalidAuto += h.Invalid - h.InvalidByUser
}

// capture returns the capture of parameter p, nil when the station has none.
func (s *Station) capture(p string) *Capture {
	for i := range s.Parameters {
		if s.Parameters[i].Parameter == p {
			return &s.Parameters[i]
		}
	}
	return nil
}

// The CSV cells of the data-quality layer (WriteCSV).

func invalidCells(c *Capture) map[string]string {
	return map[string]string{"readings_invalid": itoa(c.ReadingsInvalid),
		"readings_invalid_auto": itoa(c.ReadingsInvalidAuto), "readings_invalid_user": itoa(c.ReadingsInvalidUser)}
}

func approvalCells(a *quantrac.Approval) map[string]string {
	state := "active"
	if !a.Active() {
		state = "withdrawn"
	}
	return map[string]string{"approval": state, "id": a.ID, "user": a.User, "created_at": rfc3339(a.CreatedAt),
		"withdrawn_by": a.WithdrawnBy, "withdrawn_at": rfc3339(a.WithdrawnAt)}
}

func spanCells(sp *Span) map[string]string {
	return map[string]string{"parameter": sp.Parameter, "id": sp.ID, "source": sp.Source, "action": sp.Action,
		"from": rfc3339(sp.From), "to": rfc3339(sp.To), "reason": sp.Reason, "user": sp.User,
		"created_at": rfc3339(sp.CreatedAt), "revoked_by": sp.RevokedBy, "revoked_at": rfc3339(sp.RevokedAt),
		"created_after_approval": strconv.FormatBool(sp.CreatedAfterApproval),
		"revoked_after_approval": strconv.FormatBool(sp.RevokedAfterApproval)}
}

// withAll sets the cells of more in m and returns m.
func withAll(m, more map[string]string) map[string]string {
	maps.Copy(m, more)
	return m
}

// rfc3339 formats t in UTC to the nanosecond, "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
