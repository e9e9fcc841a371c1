package main

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the output")

// TestGolden indexes testdata/osv and compares every file written with testdata/golden.
func TestGolden(t *testing.T) {
	out := t.TempDir()
	var stderr bytes.Buffer
	if err := run([]string{"-vulns", "testdata/osv", "-out", out}, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	got := readTree(t, out)
	if *update {
		if err := os.RemoveAll("testdata/golden"); err != nil {
			t.Fatal(err)
		}
		for name, b := range got {
			p := filepath.Join("testdata/golden", name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := readTree(t, "testdata/golden")
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: not written", name)
		} else if !bytes.Equal(g, w) {
			t.Errorf("%s:\n got %s\nwant %s", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: written, not in testdata/golden", name)
		}
	}
}

// readTree returns the files under dir by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestModifiedFloor(t *testing.T) {
	for _, tc := range []struct {
		name, floor, want string
	}{
		{"no floor: latest entry", "", `{"modified":"2003-01-01T00:00:00Z"}`},
		{"floor later than every entry", "2026-11-05T23:49:57Z", `{"modified":"2026-11-05T23:49:57Z"}`},
		{"floor earlier than an entry", "2001-01-01T00:00:00+01:00", `{"modified":"2003-01-01T00:00:00Z"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := []string{"-vulns", "testdata/osv", "-out", out}
			if tc.floor != "" {
				args = append(args, "-modified", tc.floor)
			}
			if err := run(args, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(out, "index", "db.json"))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("db.json = %s, want %s", b, tc.want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	dup := t.TempDir()
	entry, err := os.ReadFile("testdata/osv/GO-2000-0002.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.json", "sub/b.json"} {
		writeFile(t, filepath.Join(dup, name), entry)
	}
	bad := t.TempDir()
	writeFile(t, filepath.Join(bad, "GO-1.json"), []byte(`{"id": "GO-1", "affected": [`))
	noID := t.TempDir()
	writeFile(t, filepath.Join(noID, "x.json"), []byte(`{"id": "../x"}`))

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "need -vulns and -out"},
		{"no out", []string{"-vulns", "testdata/osv"}, "need -vulns and -out"},
		{"extra argument", []string{"-vulns", "testdata/osv", "-out", t.TempDir(), "x"}, "no arguments"},
		{"bad modified", []string{"-vulns", "testdata/osv", "-out", t.TempDir(), "-modified", "2026-11-05"}, "-modified"},
		{"missing dir", []string{"-vulns", filepath.Join(t.TempDir(), "none"), "-out", t.TempDir()}, "no such file"},
		{"empty dir", []string{"-vulns", t.TempDir(), "-out", t.TempDir()}, "no OSV entries"},
		{"duplicate id", []string{"-vulns", dup, "-out", t.TempDir()}, "id GO-2000-0002 already in"},
		{"bad json", []string{"-vulns", bad, "-out", t.TempDir()}, "GO-1.json"},
		{"id not a file name", []string{"-vulns", noID, "-out", t.TempDir()}, `bad id "../x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLatestFixed(t *testing.T) {
	type ev = struct{ Introduced, Fixed string }
	semver := func(events ...ev) osvRange {
		r := osvRange{Type: "SEMVER"}
		for _, e := range events {
			r.Events = append(r.Events, struct {
				Introduced string `json:"introduced"`
				Fixed      string `json:"fixed"`
			}(e))
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		ranges []osvRange
		want   string
	}{
		{"none", nil, ""},
		{"never fixed", []osvRange{semver(ev{Introduced: "0"})}, ""},
		{"one fix", []osvRange{semver(ev{Introduced: "0"}, ev{Fixed: "1.2.3"})}, "1.2.3"},
		{"latest of two branches", []osvRange{semver(ev{Introduced: "0"}, ev{Fixed: "1.21.1"}, ev{Introduced: "1.22.0-0"}, ev{Fixed: "1.22.1"})}, "1.22.1"},
		{"compared as semver, not strings", []osvRange{semver(ev{Fixed: "1.10.0"}, ev{Fixed: "1.9.0"})}, "1.10.0"},
		{"prerelease before release", []osvRange{semver(ev{Fixed: "1.2.0-rc.1"}, ev{Fixed: "1.2.0"})}, "1.2.0"},
		{"re-introduced after the fix", []osvRange{semver(ev{Introduced: "0"}, ev{Fixed: "1.2.0"}, ev{Introduced: "2.0.0"})}, ""},
		{"introduced before the fix", []osvRange{semver(ev{Introduced: "1.0.0"}, ev{Fixed: "1.1.0"})}, "1.1.0"},
		{"across ranges", []osvRange{semver(ev{Fixed: "1.1.0"}), semver(ev{Fixed: "1.3.0"})}, "1.3.0"},
		{"non-SEMVER ignored", []osvRange{{Type: "GIT", Events: semver(ev{Fixed: "9.9.9"}).Events}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := latestFixed(tc.ranges); got != tc.want {
				t.Errorf("latestFixed = %q, want %q", got, tc.want)
			}
		})
	}
}
