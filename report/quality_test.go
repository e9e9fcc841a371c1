package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/internal/i18n"
	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/qcview"
	"github.com/quantrac/quantrac/rules"
	"github.com/quantrac/quantrac/store"
)

// qualityMonth is a closed November on a real InfluxDB: station Q1 reports NO2 every 15 min
// on 10 November (96 readings); an automatic span invalidates 10:00–10:45 (4 readings) before
// ann approves the month; after the approval bob invalidates 14:00–14:30 of every parameter
// (3 readings) and revokes a span of his made before it. Station Q2 has only an approval by
// dan that ann withdrew.
type qualityMonth struct {
	report              *Report
	approvedAt          time.Time
	auto, after, before quantrac.QCSpan // the automatic span; bob's after and before approval
}

func buildQualityMonth(t *testing.T) *qualityMonth {
	t.Helper()
	in := testenv.InfluxDB(t, testenv.InfluxOptions{DisableFlux: true})
	in.CreateDatabase("quantrac")
	o := store.WriterOptions{URL: in.URL(), Bucket: "quantrac/autogen", Timeout: 5 * time.Second}
	w, err := store.NewWriter(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	q := store.NewQuerier(o, nil)
	qc := store.NewQC(q, w)
	reg, err := quantrac.ParseRegistry([]byte(`stations:
  - {id: Q1, name: "Trạm Q1", kind: air, interval: 15m, location: {lat: 21, lon: 105}}
  - {id: Q2, kind: air, interval: 15m, location: {lat: 21, lon: 105}}
`), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	loc := reg.Station("Q1").TimeLocation()
	day := time.Date(2026, 11, 10, 0, 0, 0, 0, loc)
	var lines []string
	for i := 1; i <= 96; i++ {
		lines = append(lines, fmt.Sprintf("air,station=Q1 no2=20 %d", day.Add(time.Duration(i)*15*time.Minute).UnixNano()))
	}
	in.Write("quantrac/autogen", strings.Join(lines, "\n"))

	ctx := context.Background()
	m := &qualityMonth{approvedAt: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
	before, after := m.approvedAt.Add(-time.Hour), m.approvedAt.Add(time.Hour)
	span := func(param, source, user, reason string, from, to time.Time, created time.Time) quantrac.QCSpan {
		ss, err := qc.AddSpans(ctx, quantrac.QCSpan{Station: "Q1", Parameter: param, Source: source, User: user,
			Action: quantrac.QCInvalidate, Reason: reason, From: from, To: to, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		return ss[0]
	}
	m.auto = span("no2", quantrac.QCSourceAuto, "auto", "flat line", day.Add(10*time.Hour), day.Add(10*time.Hour+45*time.Minute), before)
	m.before = span("no2", quantrac.QCSourceUser, "bob", "sampler blocked", day.Add(20*time.Hour), day.Add(21*time.Hour), before)
	if _, err := qc.AddApproval(ctx, quantrac.Approval{Station: "Q1", Month: "2026-11", User: "ann", CreatedAt: m.approvedAt}); err != nil {
		t.Fatal(err)
	}
	m.after = span(quantrac.QCAllParameters, quantrac.QCSourceUser, "bob", "lỗi thiết bị", day.Add(14*time.Hour), day.Add(14*time.Hour+30*time.Minute), after)
	if m.before, err = qc.RevokeSpan(ctx, m.before.ID, "bob", after); err != nil {
		t.Fatal(err)
	}
	dan, err := qc.AddApproval(ctx, quantrac.Approval{Station: "Q2", Month: "2026-11", User: "dan", CreatedAt: before})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qc.WithdrawApproval(ctx, dan.ID, "ann", after); err != nil {
		t.Fatal(err)
	}

	view := qcview.New(qcview.Options{Querier: q})
	if err := view.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	cat, err := rules.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Archive: archive.New(q).WithSpans(view), Catalog: cat, QC: qc,
		Registry: func() *quantrac.Registry { return reg }}
	if m.report, err = b.Build(ctx, Month{2026, time.November}, "", time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *qualityMonth) station(t *testing.T, id string) *Station {
	t.Helper()
	for i := range m.report.Stations {
		if m.report.Stations[i].ID == id {
			return &m.report.Stations[i]
		}
	}
	t.Fatalf("no station %s in the report", id)
	return nil
}

// An approved month names who approved it and when, marks the spans created or revoked after
// the approval, and counts the invalid readings by who invalidated them; a withdrawn approval
// leaves its month not approved and shows as withdrawn. HTML, JSON and CSV say the same.
func TestReportApprovedMonth(t *testing.T) {
	m := buildQualityMonth(t)
	q1, q2 := m.station(t, "Q1"), m.station(t, "Q2")
	if q1.Approved == nil || q1.Approved.User != "ann" || !q1.Approved.CreatedAt.Equal(m.approvedAt) {
		t.Fatalf("Q1 approved = %+v, want ann at %s", q1.Approved, m.approvedAt)
	}
	if q2.Approved != nil || len(q2.Approvals) != 1 || q2.Approvals[0].WithdrawnBy != "ann" {
		t.Errorf("Q2: approved %+v, approvals %+v; want not approved, dan's withdrawn by ann", q2.Approved, q2.Approvals)
	}
	marks := map[string][2]bool{}
	for _, sp := range q1.QCSpans {
		marks[sp.ID] = [2]bool{sp.CreatedAfterApproval, sp.RevokedAfterApproval}
	}
	want := map[string][2]bool{m.auto.ID: {false, false}, m.after.ID: {true, false}, m.before.ID: {false, true}}
	if fmt.Sprint(marks) != fmt.Sprint(want) || q1.SpansAfterApproval != 2 {
		t.Errorf("span marks %v (%d after approval), want %v (2)", marks, q1.SpansAfterApproval, want)
	}
	if len(q1.Parameters) != 1 {
		t.Fatalf("Q1 parameters %+v", q1.Parameters)
	}
	c := q1.Parameters[0]
	if c.ReadingsInvalid != 7 || c.ReadingsInvalidAuto != 4 || c.ReadingsInvalidUser != 3 || c.ReadingsValid != 89 {
		t.Errorf("no2 readings: invalid %d (auto %d, user %d), valid %d; want 7 (4, 3), 89",
			c.ReadingsInvalid, c.ReadingsInvalidAuto, c.ReadingsInvalidUser, c.ReadingsValid)
	}

	doc, err := json.Marshal(m.report)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"approved":{"id":`, `"user":"ann"`, `"withdrawn_by":"ann"`, `"created_after_approval":true`,
		`"revoked_after_approval":true`, `"readings_invalid_auto":4`, `"readings_invalid_user":3`, `"spans_after_approval":2`} {
		if !strings.Contains(string(doc), s) {
			t.Errorf("JSON has no %s", s)
		}
	}

	tmpl, err := Template()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []i18n.Lang{i18n.VI, i18n.EN} {
		var b strings.Builder
		if err := m.report.WriteHTML(&b, tmpl, HTMLOptions{Lang: l}); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		for _, s := range []string{`data-approved-by="ann"`, `data-approved-at="2026-12-02T03:00:00Z"`,
			`data-approval="not_approved"`, `class="withdrawn"`, `data-withdrawn-by="ann"`, `data-spans-after-approval="2"`,
			`data-span="` + m.after.ID + `" class="after-approval" data-after-approval="created"`,
			`data-span="` + m.before.ID + `" class="after-approval" data-after-approval=" revoked"`,
			`data-span="` + m.auto.ID + `"><td>`, `data-k="invalid_auto">4<`, `data-k="invalid_user">3<`,
			"lỗi thiết bị", l.T("approved_by"), l.T("not_approved"), l.T("approval_withdrawn"), l.T("after_approval")} {
			if !strings.Contains(html, s) {
				t.Errorf("%s HTML has no %s", l, s)
			}
		}
	}
	checkQualityCSV(t, m)
}

// checkQualityCSV reads the report's CSV back: the same approvals, marks and counts.
func checkQualityCSV(t *testing.T, m *qualityMonth) {
	t.Helper()
	var b strings.Builder
	if err := m.report.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(b.String()) {
		t.Fatal("CSV is not UTF-8")
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range rows[1:] {
		cell := func(name string) string {
			for i, h := range rows[0] {
				if h == name {
					return row[i]
				}
			}
			t.Fatalf("no column %s", name)
			return ""
		}
		switch cell("section") {
		case "station":
			got = append(got, strings.Join([]string{"station", cell("station"), cell("approval"), cell("user"), cell("created_at"), cell("spans_after_approval")}, " "))
		case "approval":
			got = append(got, strings.Join([]string{"approval", cell("station"), cell("approval"), cell("user"), cell("withdrawn_by")}, " "))
		case "capture":
			got = append(got, strings.Join([]string{"capture", cell("station"), cell("parameter"), cell("readings_invalid"), cell("readings_invalid_auto"), cell("readings_invalid_user")}, " "))
		case "qc_span":
			got = append(got, strings.Join([]string{"qc_span", cell("id"), cell("parameter"), cell("source"), cell("reason"), cell("created_after_approval"), cell("revoked_after_approval")}, " "))
		}
	}
	want := []string{
		"station Q1 approved ann 2026-12-02T03:00:00Z 2",
		"approval Q1 active ann ",
		"capture Q1 no2 7 4 3",
		"qc_span " + m.auto.ID + " no2 auto flat line false false",
		"qc_span " + m.after.ID + " * user lỗi thiết bị true false",
		"qc_span " + m.before.ID + " no2 user sampler blocked false true",
		"station Q2 not_approved   0",
		"approval Q2 withdrawn dan ann",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CSV rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
