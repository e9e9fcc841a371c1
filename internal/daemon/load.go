package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/rules"
)

// LoadRules loads the rule catalog: the built-in regulations and the configured rule files.
func LoadRules(cfg *config.Config) (*rules.Catalog, error) {
	return rules.LoadCatalog(cfg.Rules.Files...)
}

// LoadStations loads the configured station registry and checks every station against the
// rule catalog (regulations, permits, coefficients). It is the one validation path of
// `quantrac run`, `quantrac check` and the SIGHUP reload.
func LoadStations(cfg *config.Config, cat *rules.Catalog, log *slog.Logger) (*quantrac.Registry, error) {
	reg, err := loadRegistry(cfg, log)
	if err != nil {
		return nil, err
	}
	if errs := rules.Check(cat, reg); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return reg, nil
}

// loadRegistry loads the configured station registry; a missing default stations.yaml gives
// an empty registry (every message is then quarantined as unknown_station, and can be
// replayed once the stations are registered).
func loadRegistry(cfg *config.Config, log *slog.Logger) (*quantrac.Registry, error) {
	reg, err := quantrac.LoadRegistry(cfg.StationsFile, cfg.RegistryOptions())
	if err != nil && !cfg.StationsFileRequired() && errors.Is(err, fs.ErrNotExist) {
		log.Warn("no station registry; every message will be rejected as unknown_station", "stations_file", cfg.StationsFile)
		return quantrac.NewRegistry()
	}
	return reg, err
}

// Reload reloads and validates the station registry (SIGHUP) exactly as `run` and `check`
// load it. On error the old registry stays, with the rule state of its stations, and the
// error is returned for the caller to log.
func (d *Daemon) Reload() error {
	reg, err := LoadStations(d.cfg, d.cat, d.log)
	if err != nil {
		d.reloads.WithLabelValues("error").Inc()
		return fmt.Errorf("registry reload failed; keeping the old registry: %w", err)
	}
	d.registry.Store(reg)
	d.derive.SetRegistry(reg)
	d.reloads.WithLabelValues("success").Inc()
	d.log.Info("station registry reloaded", "stations", reg.Len())
	return nil
}
