package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/quantrac/quantrac/internal/testenv"
)

const qcConsoleStation = `stations:
  - id: QC-AQ
    name: "Trạm QC"
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
`

// faultyDay returns JSON backlog arrays of a local day of 5-minute PM2.5 ending at end: 20
// µg/m³, but 250 from 08:00 (exclusive) to 14:00 local; the 24 h mean is 77.5.
func faultyDay(end time.Time) []string {
	start := end.Add(-24 * time.Hour)
	var msgs, cur []string
	for i := 1; i <= 288; i++ {
		t := start.Add(time.Duration(i) * 5 * time.Minute)
		v := 20.0
		if t.After(start.Add(8*time.Hour)) && !t.After(start.Add(14*time.Hour)) {
			v = 250
		}
		cur = append(cur, fmt.Sprintf(`{"time": %q, "status": "00", "readings": {"pm25": %v}}`, t.Format(time.RFC3339), v))
		if len(cur) == 48 {
			msgs = append(msgs, "["+strings.Join(cur, ",")+"]")
			cur = nil
		}
	}
	return msgs
}

// In Chromium, against the real daemon with two basic-auth users: yesterday's PM2.5 (20 with
// six hours at 250, mean 77.5 > QCVN 05:2023's 45) is an exceedance; the editor drags across
// the chart (the form gets whole hours and the chart's parameter), types the six hours and
// "analyser fault", and submits; the page lists the span and shades it, and within seconds
// the 24 h limit is no longer exceeded; a span the API refuses shows the API's message; the
// revoke button brings the exceedance back. The viewer sees the shade and the list, and no
// write control at all.
func TestConsoleQCActions(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{})
	cfg := s.writeConfig(t, qcConsoleStation, "web:\n  editors: [editor]\n")
	web := "basic_auth_users:\n"
	for _, u := range []string{"editor", "viewer"} {
		hash, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		web += fmt.Sprintf("  %s: %s\n", u, hash)
	}
	webConfig := filepath.Join(s.dir, "web.yml")
	write(t, webConfig, web)
	q := launchQuantrac(t, cfg, nil, "-web.config.file", webConfig)
	get := authGet(q, "viewer", "viewer-pw")
	q.waitReady(get)

	ict, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	l := time.Now().In(ict)
	end := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ict) // yesterday's last reading: 24:00
	publishAll(t, s.broker.URL(), "stations/QC-AQ/air", faultyDay(end))
	exceeded := `quantrac_violation{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="QC-AQ"}`
	testenv.Eventually(t, 60*time.Second, func() (bool, string) {
		body, _ := get("/metrics")
		v, r := sumMetric(body, exceeded), sumMetric(body, `quantrac_limit_ratio{force="binding",parameter="pm25",period="24h",regulation="QCVN-05:2023",station="QC-AQ"}`)
		return v == 1 && r > 77.5/45-0.001 && r < 77.5/45+0.001, fmt.Sprintf("exceeded %v, ratio %v (want 77.5/45)", v, r)
	})

	page := "http://" + q.addr + "/stations/QC-AQ?period=7d&lang=en"
	ed := newBrowser(t, "editor", "editor-pw")
	ed.openClean(page)
	if st := eval[string](ed, `document.getElementById("station-state").dataset.state`); st != "violation" {
		t.Fatalf("station state %q before the span, want the exceedance", st)
	}
	dragAcrossChart(t, ed, "pm25", 0.3, 0.5)
	got := eval[[]string](ed, `(() => { const f = document.getElementById("qc-form").elements; return [f.parameter.value, f.from.value, f.to.value]; })()`)
	if len(got) != 3 || got[0] != "pm25" || !strings.HasSuffix(got[1], ":00") || !strings.HasSuffix(got[2], ":00") || got[1] >= got[2] {
		t.Errorf("after a drag the form holds %q, want pm25 and whole hours from < to", got)
	}
	day := end.Add(-24 * time.Hour).Format("2006-01-02")
	fill := func(from, to string) {
		t.Helper()
		eval[bool](ed, fmt.Sprintf(`(f => { f.from.value = %q; f.to.value = %q; f.reason.value = ""; return true; })(document.getElementById("qc-form").elements)`,
			day+"T"+from, day+"T"+to))
		run(t, ed, chromedp.SendKeys(`#qc-form input[name="reason"]`, "analyser fault"),
			chromedp.Click(`#qc-form button[type="submit"]`))
	}

	// The API refuses a span that ends before it starts: the form says why, nothing is stored.
	fill("14:00", "08:00")
	waitEval(t, ed, `(() => { const e = document.querySelector("#qc-form .qc-error"); return e && !e.hidden ? e.textContent : ""; })()`,
		"from must not be after to")

	fill("08:00", "14:00")
	waitEval(t, ed, `Array.from(document.querySelectorAll("#qc-spans tr.qc-span")).map(r => r.textContent).join("|")`, "analyser fault")
	if n := eval[int](ed, `document.querySelectorAll("#qc-spans tr.qc-span").length`); n != 1 {
		t.Errorf("%d spans listed, want the one refused span not stored and the other once", n)
	}
	row := eval[string](ed, `document.querySelector("#qc-spans tr.qc-span").textContent`)
	for _, want := range []string{day + " 08:00", day + " 14:00", "pm25", "Invalidate", "Inspector", "editor"} {
		if !strings.Contains(row, want) {
			t.Errorf("the listed span %q lacks %q", row, want)
		}
	}
	if n := eval[int](ed, `document.querySelectorAll('figure[data-parameter="pm25"] rect.qc-shade.qc-user').length`); n != 1 {
		t.Errorf("%d inspector shades on the PM2.5 chart, want 1", n)
	}
	stateAfterReload(t, ed, page, false)

	viewer := newBrowser(t, "viewer", "viewer-pw")
	viewer.openClean(page)
	if n := eval[int](viewer, `document.querySelectorAll("form, input, select, button, .qc-revoke").length`); n != 0 {
		t.Errorf("the viewer's page has %d write controls, want none", n)
	}
	if n := eval[int](viewer, `document.querySelectorAll("#qc-spans tr.qc-span, rect.qc-shade").length`); n != 2 {
		t.Errorf("the viewer sees %d of the span's row and shade, want both", n)
	}

	// Revoking the span brings the exceedance back.
	ed.openClean(page)
	eval[bool](ed, `(window.confirm = () => true, true)`)
	run(t, ed, chromedp.Click(`.qc-revoke`))
	waitEval(t, ed, `(() => { const r = document.querySelector("#qc-spans tr.qc-span.revoked"); return r ? r.textContent : ""; })()`, "editor · ")
	stateAfterReload(t, ed, page, true)
}

// run runs chromedp actions in the browser, with a timeout.
func run(t *testing.T, b *browser, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// waitEval waits until the JavaScript expression's string holds want (the page may reload
// meanwhile).
func waitEval(t *testing.T, b *browser, expr, want string) {
	t.Helper()
	testenv.Eventually(t, 15*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			return false, err.Error()
		}
		return strings.Contains(got, want), fmt.Sprintf("%q, want %q in it", got, want)
	})
}

// stateAfterReload reloads the page until its PM2.5 24 h limit is exceeded (or not) and the
// station's state says so.
func stateAfterReload(t *testing.T, b *browser, page string, exceeded bool) {
	t.Helper()
	start := time.Now()
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		b.open(page)
		st := eval[string](b, `document.getElementById("station-state").dataset.state`)
		n := eval[int](b, `document.querySelectorAll(".limits-now tr.ls-exceeded").length`)
		return (st == "violation") == exceeded && (n == 1) == exceeded, fmt.Sprintf("state %q, %d limits exceeded, want exceeded %v", st, n, exceeded)
	})
	t.Logf("exceeded=%v on the page %v after the change", exceeded, time.Since(start).Round(100*time.Millisecond))
}

// dragAcrossChart drags the mouse across the plot of param's chart from fraction a to b of
// its width.
func dragAcrossChart(t *testing.T, b *browser, param string, a, c float64) {
	t.Helper()
	box := eval[[]float64](b, fmt.Sprintf(`(() => {
		const svg = document.querySelector('figure[data-parameter=%q] svg');
		svg.scrollIntoView({block: "center"});
		const r = svg.getBoundingClientRect(), k = r.width / svg.viewBox.baseVal.width;
		return [r.left + 52 * k, r.left + 610 * k, r.top + r.height / 2];
	})()`, param))
	x := func(f float64) float64 { return box[0] + f*(box[1]-box[0]) }
	y := box[2]
	held := func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }
	run(t, b,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x(a), y, chromedp.ButtonLeft, chromedp.ClickCount(1), held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x(a)+x(c))/2, y, chromedp.ButtonLeft, held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x(c), y, chromedp.ButtonLeft, held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x(c), y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
}
