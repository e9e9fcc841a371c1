package tt10

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Folders under the watched directory where handled files go, keeping their relative path.
const (
	DoneDir     = ".done"
	RejectedDir = ".rejected"
)

// file is a data file found by a scan.
type file struct {
	rel   string // path relative to the watched directory
	size  int64
	mtime time.Time
}

// list returns the data files under dir in lexical order of their paths (in both layouts that
// is per station, oldest first): regular files whose name ends in .txt (any case). Names
// starting with "." are skipped, files and folders: .done/, .rejected/ and the hidden
// temporary names under which FTP servers and stationsim write uploads. Errors below dir
// (a folder that cannot be read, a file removed meanwhile) are passed to onErr and skipped.
func list(dir string, onErr func(path string, err error)) ([]file, error) {
	var out []file
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			if !errors.Is(err, fs.ErrNotExist) {
				onErr(p, err)
			}
			return nil
		}
		if p == dir {
			return nil
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.EqualFold(filepath.Ext(name), ".txt") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				onErr(p, err)
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out = append(out, file{rel: rel, size: info.Size(), mtime: info.ModTime()})
		return nil
	})
	return out, err
}

// observation is a file's size and modification time when the watcher first saw them.
type observation struct {
	size  int64
	mtime time.Time
	since time.Time // watcher clock
}

// settler decides when a file is complete: when its size and modification time have not
// changed for the settle time. That is measured on the watcher's clock across scans (a
// file's mtime may come from another host's clock on a network file system), or read from
// the mtime itself for a file that was already old when first seen (moved in whole, or
// uploaded while the watcher was down).
type settler struct {
	settle time.Duration
	seen   map[string]observation
}

func newSettler(settle time.Duration) *settler {
	return &settler{settle: settle, seen: map[string]observation{}}
}

// ready records f as seen at now and reports whether it is complete.
func (s *settler) ready(f file, now time.Time) bool {
	o, ok := s.seen[f.rel]
	if !ok || o.size != f.size || !o.mtime.Equal(f.mtime) {
		o = observation{size: f.size, mtime: f.mtime, since: now}
		s.seen[f.rel] = o
	}
	return now.Sub(o.since) >= s.settle || now.Sub(f.mtime) >= s.settle
}

// forget drops the record of a file that was handled.
func (s *settler) forget(rel string) { delete(s.seen, rel) }

// retain drops the records of files that are no longer there.
func (s *settler) retain(files []file) {
	if len(s.seen) == 0 {
		return
	}
	keep := make(map[string]struct{}, len(files))
	for _, f := range files {
		keep[f.rel] = struct{}{}
	}
	for rel := range s.seen {
		if _, ok := keep[rel]; !ok {
			delete(s.seen, rel)
		}
	}
}

// readLimited reads the file; tooLarge is set, and nothing returned, when it holds more than
// limit bytes.
func readLimited(path string, limit int) (data []byte, tooLarge bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > limit {
		return nil, true, nil
	}
	return data, false, nil
}
