package api

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/store"
)

// ApprovalStore keeps approved months (store.QC).
type ApprovalStore interface {
	AddApproval(ctx context.Context, a quantrac.Approval) (quantrac.Approval, error)
	WithdrawApproval(ctx context.Context, id, by string, at time.Time) (quantrac.Approval, error)
	Approvals(ctx context.Context, f store.ApprovalFilter) ([]quantrac.Approval, error)
}

// approvalRequest is the body of POST /api/v1/approvals.
type approvalRequest struct {
	Station string `json:"station"`
	Month   string `json:"month"`
}

// parseApprovalRequest decodes and checks a POST /api/v1/approvals body: a registered
// station and a month (YYYY-MM) that has started in the station's time zone.
func (a *API) parseApprovalRequest(body []byte) (quantrac.Approval, error) {
	var req approvalRequest
	if err := decodeJSON(body, &req, serverSet...); err != nil {
		return quantrac.Approval{}, err
	}
	if err := a.bodyStation(req.Station); err != nil {
		return quantrac.Approval{}, err
	}
	m, err := report.ParseMonth(req.Month)
	if err != nil {
		return quantrac.Approval{}, badRequest("month: " + err.Error())
	}
	if start, _ := m.Bounds(a.o.Registry().Station(req.Station).TimeLocation()); start.After(a.o.Now()) {
		return quantrac.Approval{}, badRequest("month: " + m.String() + " has not started")
	}
	return quantrac.Approval{Station: req.Station, Month: m.String()}, nil
}

// addApproval answers POST /api/v1/approvals: 201 with the approval stored.
func (a *API) addApproval(r *http.Request, user string) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	ap, err := a.parseApprovalRequest(body)
	if err != nil {
		return 0, nil, err
	}
	ap.User, ap.CreatedAt = user, a.o.Now().UTC()
	if ap, err = a.o.Approvals.AddApproval(r.Context(), ap); err != nil {
		return 0, nil, err
	}
	a.audit(user, "approve", ap.ID, ap.Station, "month", ap.Month)
	a.monthChanged(ap.Month)
	return http.StatusCreated, ap, nil
}

// withdrawApproval answers DELETE /api/v1/approvals/{id}: 200 with the approval withdrawn.
func (a *API) withdrawApproval(r *http.Request, user string) (int, any, error) {
	id := r.PathValue("id")
	ap, err := a.o.Approvals.WithdrawApproval(r.Context(), id, user, a.o.Now().UTC())
	if err = storeError(err, "approval", id); err != nil {
		return 0, nil, err
	}
	a.audit(user, "withdraw", ap.ID, ap.Station, "month", ap.Month)
	a.monthChanged(ap.Month)
	return http.StatusOK, ap, nil
}

// ApprovalsDoc is the document of GET /api/v1/approvals.
type ApprovalsDoc struct {
	Month     string              `json:"month,omitempty"`
	Station   string              `json:"station,omitempty"`
	Approvals []quantrac.Approval `json:"approvals"`
}

// listApprovals answers GET /api/v1/approvals?month=&station=: the approvals, withdrawn ones
// too, of one month or all, of one station or all.
func (a *API) listApprovals(ctx context.Context, v url.Values) (*ApprovalsDoc, error) {
	d := &ApprovalsDoc{Month: v.Get("month"), Station: v.Get("station")}
	if d.Month != "" {
		m, err := report.ParseMonth(d.Month)
		if err != nil {
			return nil, badRequest("month: " + err.Error())
		}
		d.Month = m.String()
	}
	if d.Station != "" {
		if _, err := a.station(d.Station); err != nil {
			return nil, err
		}
	}
	list, err := a.o.Approvals.Approvals(ctx, store.ApprovalFilter{Station: d.Station, Month: d.Month})
	if err != nil {
		return nil, err
	}
	d.Approvals = append([]quantrac.Approval{}, list...)
	return d, nil
}

// monthChanged makes the reports kept of a month whose approvals changed be built again.
func (a *API) monthChanged(month string) {
	m, err := report.ParseMonth(month)
	if err != nil || a.o.Changes == nil {
		return
	}
	start, _ := m.Bounds(time.UTC)
	a.o.Changes.Changed(start)
}
