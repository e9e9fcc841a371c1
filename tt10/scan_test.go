package tt10

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/payload"
	"github.com/quantrac/quantrac/internal/sim/tt10dir"
)

var ict = time.FixedZone("ICT", 7*3600)

// writeSimFiles writes count 5-minute files per station from start, as stationsim -format tt10
// -out does, and returns their paths relative to dir.
func writeSimFiles(t testing.TB, dir string, layout tt10dir.Layout, stations []*quantrac.Station, start time.Time, count int) []string {
	t.Helper()
	reg, err := quantrac.NewRegistry(stations...)
	if err != nil {
		t.Fatal(err)
	}
	w := &tt10dir.Writer{Dir: dir, Layout: layout, Registry: reg}
	model := sim.Model{Seed: 3}
	var rels []string
	for _, st := range stations {
		for i := range count {
			var m sim.Message
			model.Message(&m, st, start.Add(time.Duration(i)*5*time.Minute))
			p, err := w.Write(&m, payload.TT10.Encode(nil, &m))
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, p)
			rels = append(rels, rel)
		}
	}
	slices.Sort(rels)
	return rels
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// list finds the data files of both layouts, in path order, and nothing else: not the handled
// files, not hidden uploads in progress, not other files of the FTP tree.
func TestListLayouts(t *testing.T) {
	stations, err := sim.Stations(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 23, 50, 0, 0, ict) // across midnight: two dated folders
	for _, layout := range []tt10dir.Layout{tt10dir.Dated, tt10dir.Flat} {
		t.Run(string(layout), func(t *testing.T) {
			dir := t.TempDir()
			want := writeSimFiles(t, dir, layout, stations, start, 4)
			writeFile(t, filepath.Join(dir, DoneDir, want[0]), "done")
			writeFile(t, filepath.Join(dir, RejectedDir, "x", "LC_SIM_X_20261128000000.txt"), "rejected")
			writeFile(t, filepath.Join(dir, ".LC_SIM_SIMAQ0001_20261128001500.txt.123.tmp"), "upload in progress")
			writeFile(t, filepath.Join(dir, ".in.LC_SIM_SIMAQ0001_20261128001500.txt."), "ProFTPD HiddenStores")
			writeFile(t, filepath.Join(dir, "SIMAQ0001", "camera.jpg"), "not a data file")
			writeFile(t, filepath.Join(dir, "LC_SIM_SIMAQ0001_20261128001500.txt.filepart"), "WinSCP upload")
			if err := os.Symlink(filepath.Join(dir, want[0]), filepath.Join(dir, "link.txt")); err != nil {
				t.Fatal(err)
			}
			files, err := list(dir, func(p string, err error) { t.Errorf("%s: %v", p, err) })
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.rel)
				if f.size == 0 || f.mtime.IsZero() {
					t.Errorf("%s: size %d, mtime %v", f.rel, f.size, f.mtime)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed\n%v\nwant\n%v", got, want)
			}
			if layout == tt10dir.Dated && filepath.Dir(got[0]) != filepath.Join("SIMAQ0001", "2026", "11", "27") {
				t.Errorf("dated layout: first file %s", got[0])
			}
		})
	}
}

func TestListMissingDir(t *testing.T) {
	if _, err := list(filepath.Join(t.TempDir(), "nope"), func(string, error) {}); !os.IsNotExist(err) {
		t.Errorf("error %v, want not exist", err)
	}
}

// A file is complete once its size and mtime have not changed for the settle time, on the
// watcher's clock, or when its mtime is already that old.
func TestSettle(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC)
	at := t0.Add
	s := newSettler(10 * time.Second)
	steps := []struct {
		now   time.Duration
		f     file
		ready bool
		why   string
	}{
		{0, file{rel: "a.txt", size: 100, mtime: t0}, false, "just written"},
		{5 * time.Second, file{rel: "a.txt", size: 100, mtime: t0}, false, "unchanged for 5s"},
		{8 * time.Second, file{rel: "a.txt", size: 200, mtime: at(8 * time.Second)}, false, "grew: the clock restarts"},
		{15 * time.Second, file{rel: "a.txt", size: 200, mtime: at(8 * time.Second)}, false, "unchanged for 7s"},
		{18 * time.Second, file{rel: "a.txt", size: 200, mtime: at(8 * time.Second)}, true, "unchanged for 10s"},
		{0, file{rel: "moved.txt", size: 100, mtime: at(-time.Hour)}, true, "moved in whole: mtime an hour old"},
		{0, file{rel: "nfs.txt", size: 100, mtime: at(time.Hour)}, false, "mtime from a clock an hour ahead"},
		{9 * time.Second, file{rel: "nfs.txt", size: 100, mtime: at(time.Hour)}, false, "ahead, unchanged for 9s"},
		{10 * time.Second, file{rel: "nfs.txt", size: 100, mtime: at(time.Hour)}, true, "ahead, unchanged for 10s"},
	}
	for _, st := range steps {
		if got := s.ready(st.f, at(st.now)); got != st.ready {
			t.Errorf("%s: ready = %v", st.why, got)
		}
	}
	s.retain([]file{{rel: "a.txt"}})
	if _, ok := s.seen["nfs.txt"]; ok || len(s.seen) != 1 {
		t.Errorf("retain kept %v", s.seen)
	}
	if !newSettler(0).ready(file{rel: "b.txt", size: 1, mtime: at(time.Hour)}, t0) {
		t.Error("settle 0: a file is complete when seen")
	}
}
