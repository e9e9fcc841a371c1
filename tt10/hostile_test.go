package tt10

import (
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests of this file play an uploader who does not play by the rules: one who can make
// folders, symbolic links and renames in the watched tree (over SFTP, say) while the watcher
// works. The fake broker's during hook runs inside a publish, so each race is deterministic.

// hostileNow is 12:10 ICT on the day of the files below.
var hostileNow = time.Date(2026, 1, 1, 5, 10, 0, 0, time.UTC)

// record is a one-record Circular 10 file: COD = value at the time stamp.
func record(value, stamp string) string { return "COD\t" + value + "\tmg/L\t" + stamp + "\t00\n" }

// publishedValues returns the payloads published to topic.
func publishedValues(pub *recorder, topic string) []string {
	var out []string
	for _, m := range pub.published() {
		if m.topic == topic {
			out = append(out, m.payload)
		}
	}
	return out
}

const topic01 = "stations/LC-WW-01/wastewater" // NUO001's topic

// A station that writes another station's folder inside its own upload folder does not get
// its file stored as that station's: the file is routed by its upload root folder, and a path
// naming two stations is refused, unpublished, with a reason.
func TestNestedStationFolderRefused(t *testing.T) {
	dir := t.TempDir()
	own := "NUO001/2026/01/01/HN_ABCD_NUO001_20260101120000.txt"
	nested := "NUO001/NUO003/2026/01/01/HN_ABCD_NUO003_20260101120000.txt"
	writeFile(t, filepath.Join(dir, own), record("80", "20260101120000"))
	writeFile(t, filepath.Join(dir, nested), record("999", "20260101120000"))
	pub := &recorder{}
	w, _ := testWatcher(t, dir, testStations(t), pub, hostileNow, nil)
	sum, err := w.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if msgs := pub.published(); len(msgs) != 1 || msgs[0].topic != topic01 {
		t.Fatalf("published %q, want only NUO001's own file on %s", msgs, topic01)
	}
	if sum.Results[ResultForbidden] != 1 || sum.Results[ResultDone] != 1 {
		t.Errorf("summary %v", sum)
	}
	reason, err := os.ReadFile(filepath.Join(dir, RejectedDir, nested+".reason"))
	if err != nil || !exists(filepath.Join(dir, RejectedDir, nested)) {
		t.Fatalf("nested file not in %s with a reason: %v", RejectedDir, err)
	}
	for _, want := range []string{"result: forbidden\n", "published: no\n", "LC-WW-03", "LC-WW-01", "NUO001"} {
		if !strings.Contains(string(reason), want) {
			t.Errorf("reason file does not say %q:\n%s", want, reason)
		}
	}
}

// What the watcher opens is what its scan found: a file swapped for a symbolic link, or whose
// folder is swapped for one, after the scan is never read nor published, wherever the link
// points; a file that grew after the scan waits for the next one.
func TestSwappedAfterScan(t *testing.T) {
	const a = "NUO001/2026/01/01/HN_ABCD_NUO001_20260101120000.txt"
	const b = "NUO001/2026/01/01/HN_ABCD_NUO001_20260101120500.txt"
	const b2 = "NUO001/2026/01/02/HN_ABCD_NUO001_20260102120500.txt" // b in another folder
	tests := []struct {
		name string
		b    string
		swap func(t *testing.T, dir, outside string) // during the publish of a
	}{
		{"file linked outside", b, func(t *testing.T, dir, outside string) {
			shadow := filepath.Join(outside, "shadow")
			writeFile(t, shadow, record("666", "20260101120500"))
			relink(t, shadow, filepath.Join(dir, b))
		}},
		{"file linked to another station's file", b, func(t *testing.T, dir, _ string) {
			relink(t, filepath.Join(dir, "NUO003/2026/01/01/HN_ABCD_NUO003_20260101120500.txt"), filepath.Join(dir, b))
		}},
		{"file linked to another station's file, relative", b, func(t *testing.T, dir, _ string) {
			relink(t, "../../../../NUO003/2026/01/01/HN_ABCD_NUO003_20260101120500.txt", filepath.Join(dir, b))
		}},
		{"folder linked outside", b2, func(t *testing.T, dir, outside string) {
			writeFile(t, filepath.Join(outside, "evil", filepath.Base(b2)), record("666", "20260102120500"))
			relink(t, filepath.Join(outside, "evil"), filepath.Join(dir, filepath.Dir(b2)))
		}},
		{"file grown", b, func(t *testing.T, dir, _ string) {
			f, err := os.OpenFile(filepath.Join(dir, b), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("TSS\t10\tmg/L\t20260101120500\t00\n"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, outside := t.TempDir(), t.TempDir()
			writeFile(t, filepath.Join(dir, a), record("80", "20260101120000"))
			writeFile(t, filepath.Join(dir, tc.b), record("81", "20260101120500"))
			writeFile(t, filepath.Join(dir, "NUO003/2026/01/01/HN_ABCD_NUO003_20260101120500.txt"), record("777", "20260101120500"))
			pub := &recorder{during: func(n int) {
				if n == 1 {
					tc.swap(t, dir, outside)
				}
			}}
			w, _ := testWatcher(t, dir, testStations(t), pub, hostileNow, nil)
			sum, err := w.Scan(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := publishedValues(pub, topic01); len(got) != 1 || got[0] != record("80", "20260101120000") {
				t.Errorf("published on %s: %q, want only the file not swapped", topic01, got)
			}
			// The swapped file is left in place: waiting when it was opened and found to be
			// another file, failed when the open itself was refused (a link leaving the folder).
			if sum.Results[ResultDone] != 2 || sum.Waiting+sum.Failed != 1 {
				t.Errorf("summary %v, want a and NUO003's file done, the swapped one left", sum)
			}
			// Nothing outside the watched folder was moved, and the swapped path is left as it is.
			entries := 0
			_ = filepath.WalkDir(outside, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					entries++
				}
				return nil
			})
			if want := map[bool]int{true: 1, false: 0}[strings.Contains(tc.name, "outside")]; entries != want {
				t.Errorf("%d files outside the watched folder, want %d untouched", entries, want)
			}
			if exists(filepath.Join(dir, DoneDir, tc.b)) || exists(filepath.Join(dir, RejectedDir, tc.b)) {
				t.Errorf("the swapped file was moved")
			}
			if tc.name != "file grown" {
				return
			}
			// The grown file is complete at the next scan: published whole, then moved.
			if _, err := w.Scan(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := publishedValues(pub, topic01)
			if len(got) != 2 || !strings.HasPrefix(got[1], record("81", "20260101120500")+"TSS") || !exists(filepath.Join(dir, DoneDir, b)) {
				t.Errorf("second scan published %q; in .done: %v", got, exists(filepath.Join(dir, DoneDir, b)))
			}
		})
	}
}

// relink replaces path (a file or a folder) by a symbolic link to target.
func relink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// .done/ and .rejected/ (or a folder below them) that are symbolic links are refused: the
// watcher writes only inside the watched folder. The scan fails before publishing anything,
// and the files stay where they are.
func TestHandledFolderLinksRefused(t *testing.T) {
	const good = "NUO001/2026/01/01/HN_ABCD_NUO001_20260101120000.txt"
	const badName = "NUO001/2026/01/01/readme.txt"
	tests := []struct{ link, file, target string }{
		{DoneDir, good, ""}, // "": the folder outside
		{RejectedDir, badName, ""},
		{filepath.Join(DoneDir, "NUO001"), good, ""},
		{DoneDir, good, "NUO001"}, // inside: the file would come back to the scan
	}
	for _, tc := range tests {
		t.Run(tc.link+"->"+tc.target, func(t *testing.T) {
			dir, outside := t.TempDir(), t.TempDir()
			writeFile(t, filepath.Join(dir, tc.file), record("80", "20260101120000"))
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, tc.link)), 0o755); err != nil {
				t.Fatal(err)
			}
			target := cmp.Or(tc.target, outside)
			if err := os.Symlink(target, filepath.Join(dir, tc.link)); err != nil {
				t.Fatal(err)
			}
			pub := &recorder{}
			w, _ := testWatcher(t, dir, testStations(t), pub, hostileNow, nil)
			_, err := w.Scan(t.Context())
			if err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("scan error %v, want the link refused", err)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("the watcher wrote outside its folder: %v", entries)
			}
			if !exists(filepath.Join(dir, tc.file)) {
				t.Errorf("%s left its place", tc.file)
			}
			if tc.link == DoneDir && len(pub.published()) != 0 {
				t.Errorf("published %d files it could not move", len(pub.published()))
			}
		})
	}
}

// A file rewritten while its content is being published is not moved: only what was read is
// published, and the new content is published, then moved, at the next scan.
func TestChangedWhilePublished(t *testing.T) {
	const rel = "NUO001/2026/01/01/HN_ABCD_NUO001_20260101120000.txt"
	tests := []struct {
		name, first, second string
		firstResult         string
		rewrite             func(path, content string) error
	}{
		{"rewritten in place", record("80", "20260101120000"), record("81.5", "20260101120000"), ResultDone,
			func(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }},
		{"replaced by rename, same size", record("80", "20260101120000"), record("81", "20260101120000"), ResultDone,
			func(path, content string) error {
				if err := os.WriteFile(path+".new", []byte(content), 0o644); err != nil {
					return err
				}
				return os.Rename(path+".new", path)
			}},
		{"malformed, then corrected", "\ufeffFlow\r\n", record("81", "20260101120000"), ResultMalformed,
			func(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, rel)
			writeFile(t, path, tc.first)
			pub := &recorder{during: func(n int) {
				if n == 1 {
					if err := tc.rewrite(path, tc.second); err != nil {
						t.Error(err)
					}
				}
			}}
			w, _ := testWatcher(t, dir, testStations(t), pub, hostileNow, nil)
			sum, err := w.Scan(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := publishedValues(pub, topic01); len(got) != 1 || got[0] != tc.first {
				t.Fatalf("first scan published %q, want the content read", got)
			}
			if !exists(path) || exists(filepath.Join(dir, DoneDir, rel)) || exists(filepath.Join(dir, RejectedDir, rel)) || sum.Waiting != 1 || sum.Results[tc.firstResult] != 0 {
				t.Fatalf("first scan %v: the changed file must stay in place", sum)
			}
			sum, err = w.Scan(t.Context())
			if err != nil || sum.Results[ResultDone] != 1 {
				t.Fatalf("second scan %v, %v", sum, err)
			}
			if got := publishedValues(pub, topic01); len(got) != 2 || got[1] != tc.second {
				t.Errorf("second scan published %q, want the new content", got)
			}
			if b, err := os.ReadFile(filepath.Join(dir, DoneDir, rel)); err != nil || string(b) != tc.second {
				t.Errorf(".done holds %q (%v), want the content published last", b, err)
			}
			if c := w.Completeness()["LC-WW-01"]; c.Files != 1 {
				t.Errorf("completeness %+v, want the file counted once", c)
			}
		})
	}
}
