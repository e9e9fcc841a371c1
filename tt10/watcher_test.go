package tt10

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/mqttpub"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/tt10dir"
)

// recorder is a fake broker (a Publisher recording what it acknowledges); fail makes the
// n-th publish (1-based) fail, 0 never. during, when set, runs inside the n-th publish: what an
// uploader does while the watcher waits for the PUBACK.
type recorder struct {
	mu     sync.Mutex
	msgs   []message
	fail   int
	n      int
	during func(n int)
}

type message struct{ topic, payload string }

func (r *recorder) Publish(_ context.Context, topic string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.during != nil {
		r.during(r.n)
	}
	if r.n == r.fail {
		return mqttpub.ErrNoAck
	}
	r.msgs = append(r.msgs, message{topic, string(payload)})
	return nil
}

func (r *recorder) published() []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]message(nil), r.msgs...)
}

// testWatcher returns a watcher of dir publishing to pub, at a fixed clock.
func testWatcher(t testing.TB, dir string, reg *quantrac.Registry, pub Publisher, now time.Time, mod func(*Options)) (*Watcher, *prometheus.Registry) {
	t.Helper()
	pr := prometheus.NewRegistry()
	o := Options{Dir: dir, Registry: func() *quantrac.Registry { return reg }, Publisher: pub,
		Now: func() time.Time { return now }, Registerer: pr}
	if mod != nil {
		mod(&o)
	}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return w, pr
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// A day's files of two stations in the dated layout are each published once, as they are,
// to their station's topic, and moved to .done/ under the same path; completeness counts them.
func TestScanPublishesAndMoves(t *testing.T) {
	stations, _ := sim.Stations(3, 1) // SIM-AQ-0001, SIM-AQ-0002, SIM-WW-0001
	stations = []*quantrac.Station{stations[0], stations[2]}
	reg, _ := quantrac.NewRegistry(stations...)
	dir := t.TempDir()
	start := time.Date(2026, 11, 28, 0, 5, 0, 0, ict)
	rels := writeSimFiles(t, dir, tt10dir.Dated, stations, start, 288)
	content := map[string]string{}
	for _, rel := range rels {
		b, _ := os.ReadFile(filepath.Join(dir, rel))
		content[rel] = string(b)
	}
	pub := &recorder{}
	now := start.Add(24*time.Hour - 5*time.Minute) // when the last file was written
	w, pr := testWatcher(t, dir, reg, pub, now, nil)
	sum, err := w.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Results[ResultDone] != 576 || sum.Waiting != 0 || sum.Failed != 0 {
		t.Fatalf("summary %v", sum)
	}
	msgs := pub.published()
	if len(msgs) != 576 {
		t.Fatalf("%d messages published, want 576", len(msgs))
	}
	for i, rel := range rels {
		st, _, _ := Resolve(reg, rel)
		want := message{"stations/" + st.ID + "/" + string(st.Kind), content[rel]}
		if msgs[i] != want {
			t.Fatalf("message %d of %s: %q, want %q", i, rel, msgs[i], want)
		}
		if exists(filepath.Join(dir, rel)) || !exists(filepath.Join(dir, DoneDir, rel)) {
			t.Fatalf("%s not moved to %s", rel, DoneDir)
		}
	}
	c := w.Completeness()
	if got := c["SIM-WW-0001"]; got.Files != 288 || got.Expected != 288 || got.Records["cod"] != 288 || len(got.Records) != 8 {
		t.Errorf("wastewater completeness %+v", got)
	}
	if got := c["SIM-AQ-0001"]; got.Files != 288 || got.Records["pm25"] != 288 {
		t.Errorf("air completeness %+v", got)
	}
	if v := testutil.ToFloat64(w.m.files.WithLabelValues(ResultDone)); v != 576 {
		t.Errorf("files_total{done} = %v", v)
	}
	// The exported gauges say the same, per station and parameter.
	if n, err := testutil.GatherAndCount(pr, "quantrac_tt10_records_received"); err != nil || n != 8+7 {
		t.Errorf("%d records_received series (%v), want 15", n, err)
	}
	// A second scan finds nothing to do.
	if sum, _ := w.Scan(t.Context()); sum.String() != (Summary{}).String() || len(pub.published()) != 576 {
		t.Errorf("second scan: %v", sum)
	}
}

// Files the watcher cannot route are moved to .rejected/ with a reason and not published;
// files whose content the ingester will reject are published, then moved to .rejected/.
func TestRejections(t *testing.T) {
	reg := testStations(t)
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 5, 10, 0, 0, time.UTC) // 12:10 ICT
	good := "COD\t80\tmg/L\t20260101120000\t00\n"
	files := map[string]struct{ content, result string }{
		"NUO001/2026/01/01/HN_ABCD_NUO001_20260101120000.txt":             {good, ResultDone},
		"NUO001/2026/01/01/readme.txt":                                    {good, ResultBadName},
		"LC_SIM_NUO999_20260101120000.txt":                                {good, ResultUnknownStation},
		"X_NUO003_NUO001_20260101120000.txt":                              {good, ResultAmbiguousName},
		"NUO001/2026/01/01/LC_SIM_KCNDiemThuy_20260101120000.txt":         {good, ResultForbidden},
		"NUO003/2026/01/01/HN_ABCD_NUO003_20260101115500.txt":             {"", ResultEmpty},
		"NUO003/2026/01/01/HN_ABCD_NUO003_20260101120000.txt":             {strings.Repeat(good, 20), ResultTooLarge},
		"NUO003/2026/01/01/HN_ABCD_NUO003_20260101120500.txt":             {"\ufeffFlow\r\n", ResultMalformed},
		"NUO003/2026/01/01/HN_ABCD_NUO003_20260101121000.txt":             {"XYZ\t1\tmg/L\t20260101121000\t00\n", ResultInvalid},
		"KCNDiemThuy/2017/Thang02/20170228/KCNDiemThuy20260101120000.txt": {good, ResultDone},
	}
	for rel, f := range files {
		writeFile(t, filepath.Join(dir, rel), f.content)
	}
	pub := &recorder{}
	w, _ := testWatcher(t, dir, reg, pub, now, func(o *Options) { o.MaxFileBytes = 200 })
	sum, err := w.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	published := map[string]bool{}
	for _, m := range pub.published() {
		published[m.payload] = true
	}
	for rel, f := range files {
		if sum.Results[f.result] == 0 {
			t.Errorf("%s: no file counted %s in %v", rel, f.result, sum)
		}
		wasPublished := f.result == ResultDone || f.result == ResultMalformed || f.result == ResultInvalid
		if published[f.content] != wasPublished && f.content != good {
			t.Errorf("%s (%s): published = %v", rel, f.result, published[f.content])
		}
		if f.result == ResultDone {
			if !exists(filepath.Join(dir, DoneDir, rel)) {
				t.Errorf("%s not in .done", rel)
			}
			continue
		}
		reason, err := os.ReadFile(filepath.Join(dir, RejectedDir, rel+".reason"))
		if err != nil || !exists(filepath.Join(dir, RejectedDir, rel)) || exists(filepath.Join(dir, rel)) {
			t.Errorf("%s: not moved to .rejected with a reason (%v)", rel, err)
			continue
		}
		text := string(reason)
		if !strings.Contains(text, "result: "+f.result+"\n") || !strings.Contains(text, "file: "+rel+"\n") {
			t.Errorf("%s: reason file\n%s", rel, text)
		}
		if want := map[bool]string{true: "published: yes, to stations/LC-WW-03/wastewater", false: "published: no"}[wasPublished]; !strings.Contains(text, want) {
			t.Errorf("%s: reason file does not say %q:\n%s", rel, want, text)
		}
	}
	if len(pub.published()) != 4 {
		t.Errorf("%d messages published, want 2 good files, the malformed one and the invalid one", len(pub.published()))
	}
	if sum.Results[ResultDone] != 2 || sum.Waiting != 0 || sum.Failed != 0 {
		t.Errorf("summary %v", sum)
	}
	// No temporary reason files are left behind.
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// When the broker does not acknowledge, the scan stops and every file not acknowledged stays
// in place; the next scan publishes it. A file acknowledged but not yet moved when the
// watcher crashed is published again, and counted once.
func TestUnacknowledgedFilesStay(t *testing.T) {
	stations, _ := sim.Stations(3, 1)
	ww := stations[2]
	reg, _ := quantrac.NewRegistry(ww)
	dir := t.TempDir()
	start := time.Date(2026, 11, 28, 0, 5, 0, 0, ict)
	rels := writeSimFiles(t, dir, tt10dir.Flat, []*quantrac.Station{ww}, start, 10)
	pub := &recorder{fail: 4}
	w, _ := testWatcher(t, dir, reg, pub, start.Add(time.Hour), nil)
	sum, err := w.Scan(t.Context())
	if !errors.Is(err, mqttpub.ErrNoAck) || sum.Results[ResultDone] != 3 || sum.Failed != 1 || sum.Waiting != 6 {
		t.Fatalf("scan with a lost PUBACK: %v, %v", sum, err)
	}
	for i, rel := range rels {
		if done := exists(filepath.Join(dir, DoneDir, rel)); done != (i < 3) || exists(filepath.Join(dir, rel)) == done {
			t.Errorf("file %d: in .done = %v", i, done)
		}
	}
	if v := testutil.ToFloat64(w.m.publishFails); v != 1 {
		t.Errorf("publish failures %v", v)
	}
	// A crash after the PUBACK of file 0 but before its rename: it is back in place.
	if err := os.Rename(filepath.Join(dir, DoneDir, rels[0]), filepath.Join(dir, rels[0])); err != nil {
		t.Fatal(err)
	}
	sum, err = w.Scan(t.Context())
	if err != nil || sum.Results[ResultDone] != 8 {
		t.Fatalf("second scan: %v, %v", sum, err)
	}
	if n := len(pub.published()); n != 11 {
		t.Errorf("%d publishes acknowledged, want 10 files + 1 published again", n)
	}
	if c := w.Completeness()[ww.ID]; c.Files != 10 || c.Records["cod"] != 10 {
		t.Errorf("completeness %+v: a file published twice must count once", c)
	}
}

// A file whose name time is more than 10 minutes from its records is accepted and counted.
func TestTimeSkew(t *testing.T) {
	reg := testStations(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "HN_ABCD_NUO001_20260101120000.txt"), "COD\t80\tmg/L\t20260101120500\t00\n") // 5 min
	writeFile(t, filepath.Join(dir, "HN_ABCD_NUO001_20260101130000.txt"), "COD\t80\tmg/L\t20260101121500\t00\n") // 45 min
	writeFile(t, filepath.Join(dir, "HN_ABCD_NUO001_20251231120000.txt"), "COD\t80\tmg/L\t20260101121000\t00\n") // a day
	w, _ := testWatcher(t, dir, reg, &recorder{}, time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC), nil)
	sum, err := w.Scan(t.Context())
	if err != nil || sum.Results[ResultDone] != 3 {
		t.Fatalf("%v, %v", sum, err)
	}
	if v := testutil.ToFloat64(w.m.skewed.WithLabelValues("LC-WW-01")); v != 2 {
		t.Errorf("skewed files %v, want 2", v)
	}
}

// Seed restores completeness from .done/ after a restart.
func TestSeed(t *testing.T) {
	stations, _ := sim.Stations(3, 1)
	ww := stations[2]
	reg, _ := quantrac.NewRegistry(ww)
	dir := t.TempDir()
	start := time.Date(2026, 11, 28, 0, 5, 0, 0, ict)
	writeSimFiles(t, dir, tt10dir.Dated, []*quantrac.Station{ww}, start.Add(-24*time.Hour), 576) // two days
	now := start.Add(24*time.Hour - 5*time.Minute)
	w, _ := testWatcher(t, dir, reg, &recorder{}, now, nil)
	if _, err := w.Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := w.Completeness()[ww.ID]
	if want.Files != 288 || want.Records["ph"] != 288 {
		t.Fatalf("completeness over the last day %+v, want 288", want)
	}
	restarted, _ := testWatcher(t, dir, reg, &recorder{}, now, nil)
	if err := restarted.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := restarted.Completeness()[ww.ID]; got.Files != want.Files || got.Records["ph"] != want.Records["ph"] || len(got.Records) != len(want.Records) {
		t.Errorf("after restart %+v, want %+v", got, want)
	}
}

// Run takes a file only once it has settled, and paces publishes at Rate.
func TestRunSettleAndRate(t *testing.T) {
	reg := testStations(t)
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now() // the bubble's clock: far behind the files' real mtimes
		for _, stamp := range []string{"20260101120000", "20260101120500", "20260101121000", "20260101121500"} {
			writeFile(t, filepath.Join(dir, "HN_ABCD_NUO001_"+stamp+".txt"), "COD\t80\tmg/L\t"+stamp+"\t00\n")
		}
		pub := &recorder{}
		w, err := New(Options{Dir: dir, Registry: func() *quantrac.Registry { return reg }, Publisher: pub,
			Settle: 3 * time.Second, Interval: time.Second, Rate: 2,
			Limits: limitsAnyTime()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		if n := len(pub.published()); n != 0 {
			t.Fatalf("%d files published before they settled", n)
		}
		time.Sleep(time.Second) // the scan at 3 s takes them, two per second
		synctest.Wait()
		if n := len(pub.published()); n != 2 {
			t.Fatalf("%d files published 0.5 s after settling, want 2 at rate 2/s", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := len(pub.published()); n != 4 {
			t.Fatalf("%d files published, want 4", n)
		}
		if elapsed := time.Since(t0); elapsed < 3*time.Second {
			t.Errorf("elapsed %v", elapsed)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// limitsAnyTime accepts readings at any time: synctest's clock starts in 2000.
func limitsAnyTime() payload.Limits {
	return payload.Limits{MaxFutureSkew: 100 * 365 * 24 * time.Hour, MaxAge: 100 * 365 * 24 * time.Hour}
}
