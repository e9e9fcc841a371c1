package store

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
)

// newQC returns a QC over a fresh real InfluxDB, and the InfluxDB.
func newQC(t *testing.T) (*QC, *testenv.Influx) {
	t.Helper()
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	o := WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
	w, err := NewWriter(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return NewQC(NewQuerier(o, nil), w), in
}

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func userSpan(station, param string, from, to time.Duration, created time.Time) quantrac.QCSpan {
	return quantrac.QCSpan{Station: station, Parameter: param, Source: quantrac.QCSourceUser, From: t0.Add(from), To: t0.Add(to),
		Action: quantrac.QCInvalidate, Reason: `analyser fault, "NO2" \ line`, User: "ann", CreatedAt: created}
}

// A span is one qc_spans point as the schema says (tags station, parameter, source; string
// fields with RFC 3339 nanosecond UTC times; time = created_at); it reads back equal; a
// revocation writes who and when onto that same point and keeps every other field; a second
// revocation is refused and the first stays; unknown ids are ErrNotFound.
func TestQCSpanStoredAndRevoked(t *testing.T) {
	qc, in := newQC(t)
	ctx := t.Context()
	created := time.Date(2026, 11, 3, 8, 0, 0, 123456789, time.FixedZone("ICT", 7*3600))
	got, err := qc.AddSpans(ctx, userSpan("LC-AQ-01", "no2", time.Hour, 6*time.Hour, created))
	if err != nil {
		t.Fatal(err)
	}
	sp := got[0]
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(sp.ID) || sp.CreatedAt.Location() != time.UTC {
		t.Fatalf("stored span %+v: want a 32-hex id and a UTC created_at", sp)
	}
	rows := in.Query("quantrac", `SELECT * FROM qc_spans`)[0].Rows()
	want := map[string]any{"station": "LC-AQ-01", "parameter": "no2", "source": "user", "id": sp.ID,
		"from": "2026-11-01T01:00:00.000000000Z", "to": "2026-11-01T06:00:00.000000000Z", "action": "invalidate",
		"reason": `analyser fault, "NO2" \ line`, "user": "ann", "created_at": "2026-11-03T01:00:00.123456789Z"}
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("stored %s = %v, want %v", k, rows[0][k], v)
		}
	}
	if back, err := qc.Span(ctx, sp.ID); err != nil || back != sp {
		t.Fatalf("Span(id) = %+v, %v; want %+v", back, err, sp)
	}

	at := time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC)
	rev, err := qc.RevokeSpan(ctx, sp.ID, "bob", at)
	if err != nil || rev.RevokedBy != "bob" || !rev.RevokedAt.Equal(at) || rev.Active() {
		t.Fatalf("RevokeSpan = %+v, %v", rev, err)
	}
	rows = in.Query("quantrac", `SELECT * FROM qc_spans`)[0].Rows()
	if len(rows) != 1 || rows[0]["revoked_by"] != "bob" || rows[0]["revoked_at"] != "2026-11-04T09:00:00.000000000Z" ||
		rows[0]["reason"] != want["reason"] || rows[0]["user"] != "ann" {
		t.Fatalf("after revoking, qc_spans holds %v; want the one point with revoked_by/at and its fields kept", rows)
	}
	if back, err := qc.Span(ctx, sp.ID); err != nil || back != rev {
		t.Fatalf("Span after revoking = %+v, %v; want %+v", back, err, rev)
	}
	if _, err := qc.RevokeSpan(ctx, sp.ID, "carol", at.Add(time.Hour)); !errors.Is(err, ErrRevoked) {
		t.Fatalf("second revoke: %v, want ErrRevoked", err)
	}
	if back, _ := qc.Span(ctx, sp.ID); back.RevokedBy != "bob" {
		t.Fatalf("the second revoke changed the first: %+v", back)
	}
	if _, err := qc.RevokeSpan(ctx, "nope", "bob", at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking an unknown id: %v, want ErrNotFound", err)
	}
}

// Spans lists a station's spans (or every station's) that overlap a range, active and
// revoked, sorted; spans of one series created at the same instant stay two points.
func TestQCSpansList(t *testing.T) {
	qc, _ := newQC(t)
	ctx := t.Context()
	created := t0.Add(48 * time.Hour)
	auto := quantrac.QCSpan{Station: "A", Parameter: "pm25", Source: quantrac.QCSourceAuto, From: t0.Add(10 * time.Hour),
		To: t0.Add(12 * time.Hour), Action: quantrac.QCInvalidate, Reason: "flat line", User: "auto", CreatedAt: created}
	auto2 := auto
	auto2.From, auto2.To = t0.Add(20*time.Hour), t0.Add(21*time.Hour)
	spans, err := qc.AddSpans(ctx, userSpan("A", "no2", time.Hour, 6*time.Hour, created), auto, auto2,
		userSpan("B", "*", 0, 30*time.Hour, created))
	if err != nil {
		t.Fatal(err)
	}
	if !spans[2].CreatedAt.Equal(created.Add(time.Nanosecond)) {
		t.Errorf("the second automatic span of one series and instant was not moved on: %v", spans[2].CreatedAt)
	}
	if _, err := qc.RevokeSpan(ctx, spans[0].ID, "bob", created.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    SpanFilter
		want []int // indexes into spans, sorted by From
	}{
		{SpanFilter{}, []int{3, 0, 1, 2}},
		{SpanFilter{Station: "A"}, []int{0, 1, 2}},
		{SpanFilter{Station: "A", From: t0.Add(6 * time.Hour), To: t0.Add(10 * time.Hour)}, []int{0, 1}}, // both ends count
		{SpanFilter{Station: "A", From: t0.Add(13 * time.Hour)}, []int{2}},
		{SpanFilter{To: t0.Add(30 * time.Minute)}, []int{3}},
		{SpanFilter{Station: "C"}, nil},
	} {
		got, err := qc.Spans(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, sp := range got {
			ids = append(ids, sp.ID)
		}
		var want []string
		for _, i := range tc.want {
			want = append(want, spans[i].ID)
		}
		if len(ids) != len(want) || (len(ids) > 0 && !equal(ids, want)) {
			t.Errorf("Spans(%+v) = %v, want %v", tc.f, ids, want)
		}
	}
	got, _ := qc.Spans(ctx, SpanFilter{Station: "A", To: t0.Add(2 * time.Hour)})
	if len(got) != 1 || got[0].RevokedBy != "bob" || got[0].Reason != spans[0].Reason || got[0].Source != "user" {
		t.Errorf("the revoked span lists as %+v", got)
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// SpansChangedSince finds the spans created after t and those created before t but revoked
// after it, and nothing else.
func TestSpansChangedSince(t *testing.T) {
	qc, _ := newQC(t)
	ctx := t.Context()
	old := t0.Add(24 * time.Hour)
	since := t0.Add(72 * time.Hour)
	spans, err := qc.AddSpans(ctx, userSpan("A", "no2", 0, time.Hour, old), userSpan("A", "no2", 2*time.Hour, 3*time.Hour, old.Add(time.Hour)),
		userSpan("B", "so2", 0, time.Hour, old.Add(2*time.Hour)), userSpan("A", "pm25", 0, time.Hour, since.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	// Revoked before since: unchanged since then. Revoked after: changed.
	if _, err := qc.RevokeSpan(ctx, spans[0].ID, "bob", since.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := qc.RevokeSpan(ctx, spans[2].ID, "bob", since.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := qc.SpansChangedSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("changed since: %+v; want the new span and the newly revoked one", got)
	}
	byID := map[string]quantrac.QCSpan{got[0].ID: got[0], got[1].ID: got[1]}
	if sp := byID[spans[2].ID]; sp.RevokedBy != "bob" || sp.Reason != spans[2].Reason || !sp.From.Equal(spans[2].From) {
		t.Errorf("the revoked span comes back as %+v", sp)
	}
	if sp, ok := byID[spans[3].ID]; !ok || !sp.Active() {
		t.Errorf("the new span: %+v, %v", sp, ok)
	}
	all, err := qc.SpansChangedSince(ctx, time.Time{})
	if err != nil || len(all) != 4 {
		t.Errorf("changed since the zero time: %d spans, %v; want all 4", len(all), err)
	}
}

// Approvals are stored, listed by month and station, withdrawn once (who and when onto the
// same point) and never erased.
func TestApprovals(t *testing.T) {
	qc, in := newQC(t)
	ctx := t.Context()
	a1, err := qc.AddApproval(ctx, quantrac.Approval{Station: "A", Month: "2026-11", User: "ann", CreatedAt: t0.Add(40 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := qc.AddApproval(ctx, quantrac.Approval{Station: "B", Month: "2026-11", User: "ann", CreatedAt: t0.Add(41 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qc.AddApproval(ctx, quantrac.Approval{Station: "A", Month: "2026-10", User: "bob", CreatedAt: t0.Add(10 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	list, err := qc.Approvals(ctx, ApprovalFilter{Month: "2026-11"})
	if err != nil || len(list) != 2 || list[0] != a1 || list[1] != a2 {
		t.Fatalf("Approvals(2026-11) = %+v, %v", list, err)
	}
	if list, _ := qc.Approvals(ctx, ApprovalFilter{Station: "A"}); len(list) != 2 || list[0].Month != "2026-10" {
		t.Fatalf("Approvals(station A) = %+v", list)
	}
	w, err := qc.WithdrawApproval(ctx, a1.ID, "bob", t0.Add(42*24*time.Hour))
	if err != nil || w.WithdrawnBy != "bob" || w.Active() {
		t.Fatalf("WithdrawApproval = %+v, %v", w, err)
	}
	if _, err := qc.WithdrawApproval(ctx, a1.ID, "carol", t0.Add(43*24*time.Hour)); !errors.Is(err, ErrRevoked) {
		t.Fatalf("second withdrawal: %v", err)
	}
	if _, err := qc.WithdrawApproval(ctx, "nope", "carol", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown approval: %v", err)
	}
	if back, err := qc.Approval(ctx, a1.ID); err != nil || back != w {
		t.Fatalf("Approval(id) = %+v, %v; want %+v", back, err, w)
	}
	if n := in.Count("quantrac", `SELECT count("id") FROM approvals`); n != 3 {
		t.Errorf("approvals holds %d points, want 3 (withdrawing erases nothing)", n)
	}
}
