package e2e

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// tt10Station is a wastewater station that uploads Circular 10/2021 data files; NUO009 is its
// code in file names (LC_KCNTamDuong_NUO009_yyyyMMddHHmmss.txt) and folder.
const tt10Station = `stations:
  - id: LC-WW-09
    name: "Nhà máy xử lý nước thải KCN Tam Đường"
    kind: wastewater
    location: {lat: 22.365, lon: 103.605}
    tags: {province: "Lai Châu", facility: "KCN Tam Đường"}
    regulations: [QCVN-40:2011/B]
    coefficients: {kq: 0.9, kf: 1.0}
    aliases: [NUO009]
`

// wastewaterParams are the 8 parameters stationsim writes for a wastewater station.
var wastewaterParams = []string{"flow", "ph", "temp", "cod", "tss", "nh4_n", "tp", "tn"}

// A day of 5-minute data files of a wastewater station lands in InfluxDB as 288 points per
// parameter through `quantrac tt10`, although the watcher is killed with SIGKILL mid-folder
// and restarted: nothing lost, nothing doubled, completeness exact after the restart. Then
// files the watcher cannot route, and files whose content the ingester rejects, end in
// .rejected/ with their reason, the latter also in rejected_messages.
func TestTT10Files(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	cfg := s.writeConfig(t, tt10Station, "")
	q := startQuantrac(t, cfg)

	t.Run("day of files, kill -9", func(t *testing.T) { tt10DayWithKill(t, s, q, cfg) })
	t.Run("rejected files", func(t *testing.T) { tt10Rejects(t, s, q, cfg) })
}

func tt10DayWithKill(t *testing.T, s *services, q *quantrac, cfg string) {
	ftp := filepath.Join(s.dir, "ftp")
	last := time.Now().Truncate(5 * time.Minute)
	start := last.Add(-287 * 5 * time.Minute) // 288 files, the last one now: all in the last 24 h
	sum := stationsim(t, "-stations-file", filepath.Join(s.dir, "stations.yaml"), "-format", "tt10", "-out", ftp,
		"-count", "288", "-start", start.Format(time.RFC3339), "-step", "5m", "-rate", "0", "-seed", "9", "-calibrate", "0.02")
	if sum["sent"] != 288 || sum["readings"] != 288*8 {
		t.Fatalf("stationsim summary %v", sum)
	}
	if got := len(dataFiles(t, ftp)); got != 288 {
		t.Fatalf("%d files written, want 288", got)
	}

	args := []string{"tt10", "-watch", ftp, "-config", cfg, "-settle", "0", "-interval", "200ms", "-log.level", "debug"}
	w := startWatcher(t, append(args, "-rate", "40")...)
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		n := len(dataFiles(t, filepath.Join(ftp, ".done")))
		return n >= 40, fmt.Sprintf("%d files in .done", n)
	})
	if got := w.metric(`quantrac_tt10_files_expected{station="LC-WW-09"}`); got != 288 {
		t.Errorf("files expected = %v, want 288", got)
	}
	w.kill()
	pending := len(dataFiles(t, ftp))
	if pending == 0 || pending > 250 {
		t.Fatalf("%d files pending at the kill: the kill must come mid-folder", pending)
	}
	t.Logf("killed the watcher with %d of 288 files pending", pending)

	w = startWatcher(t, args...)
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		n, done := len(dataFiles(t, ftp)), len(dataFiles(t, filepath.Join(ftp, ".done")))
		return n == 0 && done == 288, fmt.Sprintf("%d files pending, %d in .done", n, done)
	})
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		got := countPoints(t, s.influx)
		return got == 288*8, fmt.Sprintf("%d of %d readings in InfluxDB", got, 288*8)
	})
	for param, n := range pointsPerParam(t, s, "LC-WW-09") {
		if n != 288 {
			t.Errorf("%s: %d points, want 288", param, n)
		}
	}
	// Completeness is exact after the restart: the files counted before the kill come from
	// .done/, the one published twice counts once.
	if got := w.metric(`quantrac_tt10_files_received{station="LC-WW-09"}`); got != 288 {
		t.Errorf("files received = %v, want 288", got)
	}
	for _, p := range wastewaterParams {
		if got := w.metric(fmt.Sprintf(`quantrac_tt10_records_received{parameter=%q,station="LC-WW-09"}`, p)); got != 288 {
			t.Errorf("records received of %s = %v, want 288", p, got)
		}
	}
	if got := q.metric(`quantrac_messages_total{result="accepted"}`); got < 288 {
		t.Errorf("quantrac accepted %v messages, want at least the 288 files", got)
	}
	w.stop()
}

func tt10Rejects(t *testing.T, s *services, q *quantrac, cfg string) {
	dir := filepath.Join(s.dir, "ftp-rejects")
	// Two days ago: clear of the day of files above.
	at := time.Now().Add(-48 * time.Hour).Truncate(5 * time.Minute).In(time.FixedZone("ICT", 7*3600))
	t1, t2 := at.Format("20060102150405"), at.Add(5*time.Minute).Format("20060102150405")
	day := "NUO009/" + at.Format("2006/01/02") + "/"
	files := map[string]struct{ content, result string }{
		// Status 02 with a value: kept, flagged; without a value: rejected, never a 0.
		day + "LC_KCN_NUO009_" + t1 + ".txt": {"COD\t81,5\tmg/L\t" + t1 + "\t02\r\nTSS\t\tmg/L\t" + t1 + "\t02\r\nFlow\t120\tm3/h\t" + t1 + "\t00\r\n", "done"},
		day + "LC_KCN_NUO009_" + t2 + ".txt": {"\ufeffFlow\r\n", "malformed"}, // cut after the first field
		day + "notes.txt":                    {"hello", "bad_name"},
		"LC_KCN_NUO999_" + t1 + ".txt":       {"COD\t1\tmg/L\t" + t1 + "\t00\n", "unknown_station"},
	}
	for rel, f := range files {
		write(t, mkdirFor(t, filepath.Join(dir, rel)), f.content)
	}
	out, err := exec.Command(bin.quantrac, "tt10", "-once", "-watch", dir, "-config", cfg, "-settle", "0").CombinedOutput()
	if err != nil {
		t.Fatalf("tt10 -once: %v\n%s", err, out)
	}
	sum := parseSummary(t, string(out))
	for _, r := range []string{"done", "malformed", "bad_name", "unknown_station"} {
		if sum[r] != 1 {
			t.Errorf("summary %s = %v, want 1 (%v)", r, sum[r], sum)
		}
	}
	for rel, f := range files {
		if f.result == "done" {
			if _, err := os.Stat(filepath.Join(dir, ".done", rel)); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			continue
		}
		reason, err := os.ReadFile(filepath.Join(dir, ".rejected", rel+".reason"))
		if _, ferr := os.Stat(filepath.Join(dir, ".rejected", rel)); err != nil || ferr != nil || !strings.Contains(string(reason), "result: "+f.result+"\n") {
			t.Errorf("%s: not in .rejected with reason %s (%v, %v):\n%s", rel, f.result, err, ferr, reason)
		}
	}
	// The ingester quarantined the malformed file whole and the fault reading without value.
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		m := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE station = 'LC-WW-09' AND reason = 'malformed'`)
		n := s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE station = 'LC-WW-09' AND reason = 'not_a_number'`)
		return m == 1 && n == 1, fmt.Sprintf("rejected_messages: %d malformed, %d not_a_number", m, n)
	})
	ts := at.UTC().Format(time.RFC3339)
	rows := s.influx.Query("quantrac", fmt.Sprintf(`SELECT cod, cod_status, tss FROM wastewater_flagged WHERE station = 'LC-WW-09' AND time = '%s'`, ts))
	if len(rows) != 1 || len(rows[0].Rows()) != 1 {
		t.Fatalf("flagged status-02 point at %s: %v", ts, rows)
	}
	row := rows[0].Rows()[0]
	if row["cod"] != 81.5 || row["cod_status"] != "02" || row["tss"] != nil {
		t.Errorf("flagged point %v: want cod 81.5 with status 02 as reported, and no tss", row)
	}
	if n := s.influx.Count("quantrac", fmt.Sprintf(`SELECT count(tss) FROM wastewater WHERE time = '%s'`, ts)); n != 0 {
		t.Errorf("%d tss points at the fault's time: an empty status-02 value became a value", n)
	}
	if got := q.metric(`quantrac_messages_total{result="malformed"}`); got != 1 {
		t.Errorf("quantrac malformed messages = %v, want 1", got)
	}
}

// pointsPerParam counts a station's points per parameter, valid and flagged together.
func pointsPerParam(t *testing.T, s *services, station string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, p := range wastewaterParams {
		out[p] = 0
	}
	for _, m := range []string{"wastewater", "wastewater_flagged"} {
		for _, series := range s.influx.Query("quantrac", fmt.Sprintf(`SELECT count(*) FROM %s WHERE station = '%s'`, m, station)) {
			for _, row := range series.Rows() {
				for col, v := range row {
					if f, ok := v.(float64); ok && strings.HasPrefix(col, "count_") && !strings.HasSuffix(col, "_status") {
						out[strings.TrimPrefix(col, "count_")] += int(f)
					}
				}
			}
		}
	}
	return out
}

// dataFiles lists the data files under dir, outside its dot folders. A folder that does not
// exist (yet) holds none; one that changes during the walk may be undercounted, so callers
// poll.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p != dir && strings.HasPrefix(d.Name(), "."):
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(p, ".txt"):
			out = append(out, p)
		}
		return nil
	})
	return out
}

func mkdirFor(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// watcher is a running `quantrac tt10` process.
type watcher struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string
	log    string
	exited chan struct{}
}

// startWatcher starts `quantrac <args> -web.listen-address …` and waits until it is ready.
func startWatcher(t *testing.T, args ...string) *watcher {
	t.Helper()
	w := &watcher{t: t, addr: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), exited: make(chan struct{})}
	w.log = filepath.Join(t.TempDir(), "tt10.log")
	logf, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	w.cmd = exec.Command(bin.quantrac, append(args, "-web.listen-address", w.addr)...)
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.cmd.Wait(); logf.Close(); close(w.exited) }()
	t.Cleanup(func() {
		w.kill()
		if t.Failed() {
			t.Logf("tt10 watcher log (tail):\n%s", tail(w.log, 30))
		}
	})
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		select {
		case <-w.exited:
			t.Fatalf("tt10 watcher exited at start:\n%s", tail(w.log, 30))
		default:
		}
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://" + w.addr + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return w
}

func (w *watcher) metric(prefix string) float64 {
	return (&quantrac{addr: w.addr}).metric(prefix)
}

func (w *watcher) kill() {
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.exited
}

// stop sends SIGTERM and expects a clean exit.
func (w *watcher) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
		if code := w.cmd.ProcessState.ExitCode(); code != 0 {
			w.t.Errorf("tt10 watcher exited %d after SIGTERM", code)
		}
	case <-time.After(15 * time.Second):
		w.t.Error("tt10 watcher did not stop within 15 s of SIGTERM")
	}
}
