package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/mod/semver"
)

// entry is the part of an OSV entry the index needs, plus the entry's own bytes.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`

	raw []byte
}

// osvRange is an OSV range: events introducing and fixing the vulnerability.
type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}

// index holds the three index endpoints of a v1 database.
type index struct {
	DB      dbMeta
	Modules []moduleMeta
	Vulns   []vulnMeta
}

// dbMeta is index/db.json.
type dbMeta struct {
	Modified string `json:"modified"`
}

// moduleMeta is one element of index/modules.json.
type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

// moduleVuln is a vulnerability of a module in index/modules.json.
type moduleVuln struct {
	ID       string `json:"id"`
	Modified string `json:"modified"`
	Fixed    string `json:"fixed,omitempty"`
}

// vulnMeta is one element of index/vulns.json.
type vulnMeta struct {
	ID       string   `json:"id"`
	Modified string   `json:"modified"`
	Aliases  []string `json:"aliases,omitempty"`
}

// load reads every *.json file under dir except index.json, in lexical order, as x/vulndb's
// database.RawLoad does.
func load(dir string) ([]entry, error) {
	var entries []entry
	seen := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() == "index.json" || filepath.Ext(path) != ".json" {
			return nil
		}
		e, err := readEntry(path)
		if err != nil {
			return err
		}
		if prev, ok := seen[e.ID]; ok {
			return fmt.Errorf("%s: id %s already in %s", path, e.ID, prev)
		}
		seen[e.ID] = path
		entries = append(entries, e)
		return nil
	})
	return entries, err
}

// readEntry decodes the OSV entry in path and keeps its bytes, compacted.
func readEntry(path string) (entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return entry{}, err
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return entry{}, fmt.Errorf("%s: %w", path, err)
	}
	if e.ID == "" || filepath.Base(e.ID) != e.ID {
		return entry{}, fmt.Errorf("%s: bad id %q", path, e.ID)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return entry{}, fmt.Errorf("%s: %w", path, err)
	}
	e.raw = c.Bytes()
	return e, nil
}

// newIndex builds the index of entries. The database's modified time is the latest entry's,
// raised to floor.
func newIndex(entries []entry, floor time.Time) index {
	dbModified := floor
	modules := map[string]*moduleMeta{}
	idx := index{}
	for _, e := range entries {
		if e.Modified.After(dbModified) {
			dbModified = e.Modified
		}
		modified := osvTime(e.Modified)
		idx.Vulns = append(idx.Vulns, vulnMeta{ID: e.ID, Modified: modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m, ok := modules[a.Package.Name]
			if !ok {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: modified, Fixed: latestFixed(a.Ranges)})
		}
	}
	idx.DB.Modified = osvTime(dbModified)
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return cmp.Compare(a.ID, b.ID) })
		idx.Modules = append(idx.Modules, *m)
	}
	slices.SortFunc(idx.Modules, func(a, b moduleMeta) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortStableFunc(idx.Vulns, func(a, b vulnMeta) int { return cmp.Compare(a.ID, b.ID) })
	return idx
}

// osvTime formats t as the OSV schema wants it: RFC 3339 in UTC.
func osvTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// latestFixed returns the latest version that fixes the vulnerability in the SEMVER ranges,
// or "" when the latest fix is followed by a new introduction or there is no fix; the same
// rule as x/vulndb's osvutils.LatestFixed.
func latestFixed(ranges []osvRange) string {
	latest := ""
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && before(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && before(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// before reports whether the unprefixed semantic version v sorts before w; an invalid
// version (such as "") sorts before every valid one.
func before(v, w string) bool {
	return semver.Compare("v"+v, "v"+w) < 0
}

// write writes idx and the entries under dir in the v1 layout.
func write(dir string, idx index, entries []entry) error {
	indexDir, idDir := filepath.Join(dir, "index"), filepath.Join(dir, "ID")
	for _, d := range []string{indexDir, idDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for name, v := range map[string]any{"db.json": idx.DB, "modules.json": idx.Modules, "vulns.json": idx.Vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(indexDir, name), b, 0o644); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if err := os.WriteFile(filepath.Join(idDir, e.ID+".json"), e.raw, 0o644); err != nil {
			return err
		}
	}
	return nil
}
