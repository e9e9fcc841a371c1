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
	for _, w := range Warnings(reg) {
		log.Warn(w)
	}
	return reg, nil
}

// repealed lists the built-in regulations another one repeals: a station that lists the old id
// without its successor is no longer judged from the repeal date.
var repealed = []struct{ id, by, why string }{
	{"EU-2008/50", "EU-2024/2881", "Directive 2008/50/EC is repealed from 2026-12-12 by Directive (EU) 2024/2881 (Article 31): its limits end 2026-12-11"},
	{"EU-2008/50/information", "EU-2024/2881/information", "Directive 2008/50/EC is repealed from 2026-12-12 by Directive (EU) 2024/2881 (Article 31): its information threshold ends 2026-12-11"},
	{"EU-2008/50/alert", "EU-2024/2881/alert", "Directive 2008/50/EC is repealed from 2026-12-12 by Directive (EU) 2024/2881 (Article 31): its alert thresholds end 2026-12-11"},
}

// Warnings returns what a valid registry should still change, one line each naming the
// stations file and the station: a repealed regulation listed without its successor. `run`
// logs them, `check` prints them; neither refuses the registry.
func Warnings(reg *quantrac.Registry) []string {
	var out []string
	for _, st := range reg.Stations() {
		for _, r := range repealed {
			if st.HasRegulation(r.id) && !st.HasRegulation(r.by) {
				out = append(out, fmt.Sprintf("%s: station %s: regulations: %s without %s: %s; add %s",
					reg.File, st.ID, r.id, r.by, r.why, r.by))
			}
		}
	}
	return out
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
