package daemon

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/quantrac/quantrac/config"
)

// figuresFile keeps the rules engine's year figures across a restart, in the spool directory
// (rules/README.md, "Start"): the running sums of the yearly and counted limits, so that a
// start reads hours from InfluxDB only from where they stop instead of up to three years.
// Deleting it costs one slow start, nothing else.
const figuresFile = "year-figures"

// figuresEvery is how often the figures are saved while running (and at every clean stop):
// after a crash the start reads the hours since the last save.
const figuresEvery = 10 * time.Minute

// loadFigures gives the engine the figures saved by the last process, for its first rebuild. A
// cluster member does not take them: another member may have judged its stations meanwhile.
func (d *Daemon) loadFigures() {
	if d.cfg.Source == config.SourceNATS {
		return
	}
	path := filepath.Join(d.cfg.Spool.Dir, figuresFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		d.log.Warn("cannot read the saved year figures; the years are read back from InfluxDB", "file", path, "err", err)
		return
	}
	defer f.Close()
	n, err := d.engine.LoadFigures(f)
	if err != nil {
		d.log.Warn("saved year figures not taken; the years are read back from InfluxDB", "file", path, "err", err)
		return
	}
	d.log.Info("saved year figures read", "file", path, "stations", n)
}

// saveFigures writes the engine's year figures (a temporary file, synced, then renamed over
// the last one).
func (d *Daemon) saveFigures() {
	if d.cfg.Source == config.SourceNATS || !d.rebuilt.Load() {
		return
	}
	path := filepath.Join(d.cfg.Spool.Dir, figuresFile)
	err := writeFigures(path, func(f *os.File) error {
		_, err := d.engine.SaveFigures(f)
		return err
	})
	if err != nil {
		d.log.Error("cannot save the year figures; the next start reads the years from InfluxDB", "file", path, "err", err)
	}
}

func writeFigures(path string, save func(w *os.File) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = save(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}
