package tt10

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// mover moves handled files into DIR/.done/ and DIR/.rejected/, keeping their path relative
// to DIR, durably: once move returns, a crash cannot bring the file back to where the watcher
// would publish it again, nor lose it.
type mover struct{ dir string }

// move renames DIR/rel to DIR/sub/rel and syncs both folders.
func (m mover) move(rel, sub string) error {
	src := filepath.Join(m.dir, rel)
	dst := filepath.Join(m.dir, sub, rel)
	if err := mkdirs(filepath.Dir(dst)); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	return syncDir(filepath.Dir(src))
}

// writeReason writes DIR/.rejected/rel.reason (through a temporary file, synced). It is
// called before the data file is moved beside it; the move syncs the folder.
func (m mover) writeReason(rel string, text []byte) error {
	dst := filepath.Join(m.dir, RejectedDir, rel+".reason")
	dir := filepath.Dir(dst)
	if err := mkdirs(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp")
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
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// mkdirs creates dir and its missing parents, syncing each parent after creating a folder in
// it so that the new entry survives a crash.
func mkdirs(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirs(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// syncDir flushes a folder's entries (renames, new files) to disk.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
