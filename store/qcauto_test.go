package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
)

// Automatic spans round-trip through a real InfluxDB: every attribute comes back as written;
// writing a span again at its created_at overwrites its point (a run that went on); revoking
// keeps the span with who and when; other stations, user spans and spans ending before from
// are not returned.
func TestAutoQCSpansRoundTrip(t *testing.T) {
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	o := WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
	w, err := NewWriter(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a := NewAutoQCSpans(w, NewQuerier(o, nil))
	ctx := context.Background()
	t0 := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	created := time.Date(2026, 11, 28, 11, 0, 0, 123456789, time.UTC)
	span := quantrac.QCSpan{ID: "auto-flatline-0123456789abcdef", Station: "HN 01,a=b", Parameter: "no2",
		Source: quantrac.QCSourceAuto, From: t0, To: t0.Add(4 * time.Hour), Action: quantrac.QCInvalidate,
		Reason: "flat line: \"250\" for 4h0m0s\n(49 readings)", User: "auto", CreatedAt: created}
	other := span
	other.ID, other.Station, other.CreatedAt = "auto-spike-1", "HN-02", created.Add(time.Second)
	user := span
	user.ID, user.Source, user.User, user.CreatedAt = "u1", quantrac.QCSourceUser, "inspector", created.Add(2*time.Second)
	old := span
	old.ID, old.From, old.To, old.CreatedAt = "auto-sentinel-2", t0.Add(-48*time.Hour), t0.Add(-47*time.Hour), t0.Add(-46*time.Hour)
	for _, s := range []quantrac.QCSpan{span, other, user, old} {
		if err := a.WriteSpan(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.AutoSpans(ctx, span.Station, t0.Add(-time.Hour), t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(normal(got[0]), normal(span)) {
		t.Fatalf("AutoSpans = %+v\nwant [%+v]", got, span)
	}

	grown := span
	grown.To, grown.Reason = t0.Add(5*time.Hour), "flat line: 250 for 5h0m0s (61 readings)"
	if err := a.WriteSpan(ctx, grown); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeSpan(ctx, span.ID, "auto", created.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = a.AutoSpans(ctx, span.Station, t0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].To.Equal(grown.To) || got[0].Reason != grown.Reason || got[0].Active() ||
		got[0].RevokedBy != "auto" || !got[0].RevokedAt.Equal(created.Add(time.Hour)) {
		t.Fatalf("after growing and revoking: %+v (one point, grown, revoked by auto)", got)
	}
	if n := in.Count("quantrac", `SELECT count("id") FROM qc_spans WHERE "station" = 'HN 01,a=b'`); n != 3 {
		t.Errorf("%d points for the station, want 3 (the span, one point grown and revoked; the old one; the user's)", n)
	}
	if err := a.RevokeSpan(ctx, "auto-none", "auto", created); !errors.Is(err, ErrNoSpan) {
		t.Errorf("revoking an unknown id: %v, want ErrNoSpan", err)
	}
}

func normal(s quantrac.QCSpan) quantrac.QCSpan {
	for _, t := range []*time.Time{&s.From, &s.To, &s.CreatedAt, &s.RevokedAt} {
		*t = t.UTC()
	}
	return s
}
