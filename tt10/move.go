package tt10

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// mover moves handled files into DIR/.done/ and DIR/.rejected/, keeping their path relative
// to DIR, durably: once move returns, a crash cannot bring the file back to where the watcher
// would publish it again, nor lose it. All its paths are relative to root (DIR), which keeps
// every open and rename inside DIR; the folders it writes into must be real folders, not
// symbolic links, from .done/ and .rejected/ down.
type mover struct{ root *os.Root }

// checkHandled refuses a .done or .rejected that is a symbolic link or not a folder, before
// anything is published that could not be moved. Absent ones are created when first needed.
func (m mover) checkHandled() error {
	for _, sub := range []string{DoneDir, RejectedDir} {
		if err := m.checkDir(sub); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// checkDir returns nil when dir is a folder (not a link to one), fs.ErrNotExist when it does
// not exist, and an error naming the problem otherwise.
func (m mover) checkDir(dir string) error {
	fi, err := m.root.Lstat(dir)
	switch {
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("refusing %s: it is a symbolic link, and the watcher writes only inside %s; make it a folder", filepath.Join(m.root.Name(), dir), m.root.Name())
	case !fi.IsDir():
		return fmt.Errorf("refusing %s: not a folder", filepath.Join(m.root.Name(), dir))
	}
	return nil
}

// move renames rel to sub/rel and syncs both folders, provided rel is still the file that was
// read (sameState with read; errChanged otherwise, and the file stays).
func (m mover) move(rel, sub string, read fs.FileInfo) error {
	dst := filepath.Join(sub, rel)
	if err := m.mkdirs(filepath.Dir(dst)); err != nil {
		return err
	}
	if err := m.unchanged(rel, read); err != nil {
		return err
	}
	if err := m.root.Rename(rel, dst); err != nil {
		return err
	}
	if err := m.syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	return m.syncDir(filepath.Dir(rel))
}

// unchanged returns nil when rel is still the file read was taken of, fs.ErrNotExist when it
// is gone, and errChanged otherwise (replaced, written to, or no longer reachable).
func (m mover) unchanged(rel string, read fs.FileInfo) error {
	fi, err := m.root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return err
	case err != nil:
		return fmt.Errorf("%w: %w", errChanged, err)
	case !sameState(read, fi):
		return errChanged
	}
	return nil
}

// writeReason writes .rejected/rel.reason (through a temporary file, synced). It is called
// before the data file is moved beside it; the move syncs the folder.
func (m mover) writeReason(rel string, text []byte) error {
	dst := filepath.Join(RejectedDir, rel+".reason")
	dir := filepath.Dir(dst)
	if err := m.mkdirs(dir); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+filepath.Base(dst)+".tmp")
	_ = m.root.Remove(tmp) // left by a crash
	f, err := m.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = m.root.Rename(tmp, dst)
	}
	if err != nil {
		_ = m.root.Remove(tmp)
	}
	return err
}

// mkdirs creates dir and its missing parents, top down, syncing each parent after creating a
// folder in it so that the new entry survives a crash. Every folder on the way must be a real
// folder: a link is refused, not followed.
func (m mover) mkdirs(dir string) error {
	parts := strings.Split(dir, string(filepath.Separator))
	for i := range parts {
		p := filepath.Join(parts[:i+1]...)
		err := m.checkDir(p)
		if errors.Is(err, fs.ErrNotExist) {
			if err = m.root.Mkdir(p, 0o755); err == nil || errors.Is(err, fs.ErrExist) {
				if err = m.syncDir(filepath.Dir(p)); err == nil {
					err = m.checkDir(p) // still ours, not a link made meanwhile
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// syncDir flushes a folder's entries (renames, new files) to disk.
func (m mover) syncDir(dir string) error {
	f, err := m.root.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
