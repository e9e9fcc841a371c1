package autoqc

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/qc"
)

var (
	t0  = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	now = time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
)

// at is t0 plus h hours.
func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

func found(param string, c qc.Check, from, to float64, reason string) qc.Span {
	return qc.Span{Station: "S", Parameter: param, From: at(from), To: at(to), Check: c, Reason: reason}
}

// stored is the span Reconcile writes for f, as InfluxDB gives it back.
func stored(f qc.Span, created time.Time) quantrac.QCSpan {
	return quantrac.QCSpan{ID: newID("S", spanKey{f.Parameter, f.Check, f.From.UnixNano()}, nil), Station: "S",
		Parameter: f.Parameter, Source: quantrac.QCSourceAuto, From: f.From, To: f.To, Action: quantrac.QCInvalidate,
		Reason: f.Reason, User: User, CreatedAt: created}
}

func revokedBy(s quantrac.QCSpan, by string) quantrac.QCSpan {
	s.RevokedBy, s.RevokedAt = by, now.Add(-time.Hour)
	return s
}

// everything is in scope.
func everything(string, qc.Check, time.Time) bool { return true }

// describe prints a plan one change a line: W or R, parameter, check, from–to, reason.
func describe(p Plan) string {
	var b strings.Builder
	line := func(op string, s quantrac.QCSpan) {
		c, _ := CheckOf(s.ID)
		fmt.Fprintf(&b, "%s %s %s %s–%s %s\n", op, s.Parameter, c, s.From.Format("15:04"), s.To.Format("15:04"), s.Reason)
	}
	for _, s := range p.Revoke {
		line("R", s)
	}
	for _, s := range p.Write {
		line("W", s)
	}
	return b.String()
}

func TestReconcile(t *testing.T) {
	flat := found("no2", qc.Flatline, 0, 5, "flat 5h")
	flatGrown := found("no2", qc.Flatline, 0, 6, "flat 6h")
	flatShort := found("no2", qc.Flatline, 0, 4.5, "flat 4.5h")
	spike := found("pm25", qc.Spike, 2, 2, "spike")
	old := stored(flat, now.Add(-2*time.Hour))
	for _, tc := range []struct {
		name    string
		found   []qc.Span
		stored  []quantrac.QCSpan
		inScope func(string, qc.Check, time.Time) bool
		want    string
	}{
		{"nothing", nil, nil, everything, ""},
		{"new spans are written", []qc.Span{flat, spike}, nil, everything,
			"W no2 flatline 06:00–11:00 flat 5h\nW pm25 spike 08:00–08:00 spike\n"},
		{"found as stored: nothing", []qc.Span{flat}, []quantrac.QCSpan{old}, everything, ""},
		{"a run that went on grows in place", []qc.Span{flatGrown}, []quantrac.QCSpan{old}, everything,
			"W no2 flatline 06:00–12:00 flat 6h\n"},
		{"a run cut short: revoked, the shorter written anew", []qc.Span{flatShort}, []quantrac.QCSpan{old}, everything,
			"R no2 flatline 06:00–11:00 flat 5h\nW no2 flatline 06:00–10:30 flat 4.5h\n"},
		{"a run broken in two", []qc.Span{found("no2", qc.Flatline, 0, 2, "a"), found("no2", qc.Flatline, 2.5, 5, "b")},
			[]quantrac.QCSpan{old}, everything,
			"R no2 flatline 06:00–11:00 flat 5h\nW no2 flatline 06:00–08:00 a\nW no2 flatline 08:30–11:00 b\n"},
		{"no longer found: revoked", nil, []quantrac.QCSpan{old}, everything, "R no2 flatline 06:00–11:00 flat 5h\n"},
		{"out of scope: left alone, found or stored", []qc.Span{spike}, []quantrac.QCSpan{old},
			func(string, qc.Check, time.Time) bool { return false }, ""},
		{"scope by parameter and check", []qc.Span{spike}, []quantrac.QCSpan{old},
			func(p string, c qc.Check, _ time.Time) bool { return p == "no2" && c == qc.Flatline }, "R no2 flatline 06:00–11:00 flat 5h\n"},
		{"revoked by an inspector: not written again", []qc.Span{flat}, []quantrac.QCSpan{revokedBy(old, "inspector")}, everything, ""},
		{"revoked by an inspector, grown since: still not", []qc.Span{flatGrown}, []quantrac.QCSpan{revokedBy(old, "inspector")}, everything, ""},
		{"revoked by auto and found again: written anew", []qc.Span{flat}, []quantrac.QCSpan{revokedBy(old, User)}, everything,
			"W no2 flatline 06:00–11:00 flat 5h\n"},
		{"a user's span is never touched", nil, []quantrac.QCSpan{func() quantrac.QCSpan {
			s := old
			s.Source, s.ID, s.User = quantrac.QCSourceUser, "u-1", "inspector"
			return s
		}()}, everything, ""},
		{"two writers raced: the later revoked", []qc.Span{flat}, []quantrac.QCSpan{old, func() quantrac.QCSpan {
			s := old
			s.ID, s.CreatedAt = "auto-flatline-ffffffffffffffff", old.CreatedAt.Add(time.Second)
			return s
		}()}, everything, "R no2 flatline 06:00–11:00 flat 5h\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := Reconcile("S", tc.found, tc.stored, tc.inScope, now)
			if got := describe(plan); got != tc.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tc.want)
			}
			for _, s := range plan.Revoke {
				if s.RevokedBy != User || !s.RevokedAt.Equal(now) {
					t.Errorf("revoked %s by %q at %v, want by auto at now", s.ID, s.RevokedBy, s.RevokedAt)
				}
			}
			for _, s := range plan.Write {
				if s.Source != quantrac.QCSourceAuto || s.User != User || s.Action != quantrac.QCInvalidate || s.Station != "S" || !s.Active() {
					t.Errorf("written %+v: want an active auto invalidate span of S by auto", s)
				}
			}
		})
	}
}

// A run that grows keeps its id and created_at (the same InfluxDB point); a new span's id
// is derived from station, parameter, check and start only, so a second writer derives the
// same; spans created together are a nanosecond apart (distinct points); a span written
// anew after its first was revoked gets another id.
func TestReconcileIdentity(t *testing.T) {
	flat := found("no2", qc.Flatline, 0, 5, "flat 5h")
	a := Reconcile("S", []qc.Span{flat, found("no2", qc.Sentinel, 1, 1, "s")}, nil, everything, now)
	b := Reconcile("S", []qc.Span{found("no2", qc.Flatline, 0, 7, "flat 7h")}, nil, everything, now.Add(time.Hour))
	c := Reconcile("T", []qc.Span{flat}, nil, everything, now)
	if a.Write[0].ID != b.Write[0].ID || a.Write[0].ID == c.Write[0].ID {
		t.Errorf("ids %s, %s (same station, parameter, check, start), %s (another station)", a.Write[0].ID, b.Write[0].ID, c.Write[0].ID)
	}
	if !strings.HasPrefix(a.Write[0].ID, "auto-flatline-") || !strings.HasPrefix(a.Write[1].ID, "auto-sentinel-") {
		t.Errorf("ids %s %s do not name their check", a.Write[0].ID, a.Write[1].ID)
	}
	if a.Write[0].CreatedAt.Equal(a.Write[1].CreatedAt) {
		t.Errorf("two new spans share created_at %v: one InfluxDB point", a.Write[0].CreatedAt)
	}
	grown := Reconcile("S", []qc.Span{found("no2", qc.Flatline, 0, 6, "flat 6h")}, []quantrac.QCSpan{a.Write[0]}, everything, now.Add(time.Hour))
	if len(grown.Write) != 1 || grown.Write[0].ID != a.Write[0].ID || !grown.Write[0].CreatedAt.Equal(a.Write[0].CreatedAt) {
		t.Errorf("grown: %+v, want the same id and created_at as %+v", grown.Write, a.Write[0])
	}
	again := Reconcile("S", []qc.Span{flat}, []quantrac.QCSpan{revokedBy(a.Write[0], User)}, everything, now)
	if len(again.Write) != 1 || again.Write[0].ID == a.Write[0].ID {
		t.Errorf("written anew: %+v, want an id other than the revoked %s", again.Write, a.Write[0].ID)
	}
	sameInstant := Reconcile("S", []qc.Span{found("no2", qc.Spike, 3, 3, "x")}, []quantrac.QCSpan{a.Write[1]}, everything, now)
	if w := sameInstant.Write; len(w) != 1 || !w[0].CreatedAt.After(a.Write[1].CreatedAt) {
		t.Errorf("a span created at the instant of a stored one: %+v, want created after %v", w, a.Write[1].CreatedAt)
	}
	for _, id := range []string{a.Write[0].ID, again.Write[0].ID, "auto-pm_ratio-0011223344556677"} {
		if _, ok := CheckOf(id); !ok {
			t.Errorf("CheckOf(%q) finds no check", id)
		}
	}
	if _, ok := CheckOf("u-123"); ok {
		t.Error("CheckOf finds a check in a user span's id")
	}
}

// The count a window adds to a run's reason is the count qc writes (its reason format is
// what withElided reads).
func TestWithElided(t *testing.T) {
	var rs []qc.Reading
	for i := range 60 {
		rs = append(rs, qc.Reading{Time: t0.Add(time.Duration(i) * 5 * time.Minute), Value: 250})
	}
	spans := qc.New(qc.Defaults()).Series("S", "no2", 5*time.Minute, rs)
	if len(spans) != 1 || !strings.HasSuffix(spans[0].Reason, "(60 readings)") {
		t.Fatalf("qc's flat-line reason changed: %+v", spans)
	}
	if got := withElided(spans[0].Reason, 12); !strings.HasSuffix(got, "(72 readings)") || !strings.HasPrefix(got, "flat line: 250 for") {
		t.Errorf("withElided = %q", got)
	}
	if got := withElided("spike: 1 → 900 → 1 in 1 reading(s) (threshold 150)", 3); got != "spike: 1 → 900 → 1 in 1 reading(s) (threshold 150)" {
		t.Errorf("withElided changed a reason without a count: %q", got)
	}
}
