package tt10

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
	info  fs.FileInfo // as the scan saw it (not following links): the file readScanned must open
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
		out = append(out, file{rel: rel, size: info.Size(), mtime: info.ModTime(), info: info})
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

// errChanged marks a file that is not, or no longer, the one the watcher decided on: another
// file or a link put in its place, or a file written to since it was scanned or read. It is
// left for the next scan.
var errChanged = errors.New("changed since it was scanned or read")

// readScanned reads the file at rel below root that a scan saw as scanned. root confines the
// open to the watched folder: a link (the file's or a folder's) pointing out of it is refused.
// A link pointing inside it may be opened but is not read: the opened file must be scanned's
// own (same device and inode), a regular file with the size and modification time the scan
// saw (errChanged otherwise). O_NONBLOCK keeps a FIFO swapped in from blocking the open.
// read is the file's state after reading, which must still hold when the file is moved.
// tooLarge is set, and nothing returned, when the file holds more than limit bytes.
func readScanned(root *os.Root, rel string, scanned fs.FileInfo, limit int) (data []byte, read fs.FileInfo, tooLarge bool, err error) {
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, nil, false, err
	}
	if !sameState(scanned, before) {
		return nil, nil, false, errChanged
	}
	data, err = io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, nil, false, err
	}
	if read, err = f.Stat(); err != nil {
		return nil, nil, false, err
	}
	if !sameState(before, read) {
		return nil, nil, false, errChanged // written while it was read
	}
	if len(data) > limit {
		return nil, read, true, nil
	}
	return data, read, false, nil
}

// sameState reports whether now is the file was (same device and inode), still a regular
// file with the same size and modification time.
func sameState(was, now fs.FileInfo) bool {
	return now.Mode().IsRegular() && os.SameFile(was, now) && was.Size() == now.Size() && was.ModTime().Equal(now.ModTime())
}
