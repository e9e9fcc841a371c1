package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run parses the flags and writes or checks the dashboards.
func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	out := fs.String("out", "json", "directory of the dashboard JSON files")
	catDir := fs.String("catalog", filepath.Join("..", "rules", "catalog"), "directory of quantrac's regulation catalog")
	check := fs.Bool("check", false, "do not write: fail when a file in -out differs from what would be written")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cat, err := loadCatalog(*catDir)
	if err != nil {
		return err
	}
	files, err := render(cat)
	if err != nil {
		return err
	}
	if *check {
		return checkDir(*out, files)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, name := range sortedKeys(files) {
		if err := os.WriteFile(filepath.Join(*out, name), files[name], 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", filepath.Join(*out, name))
	}
	return nil
}

// render builds every dashboard and returns its JSON by file name.
func render(cat catalog) (map[string][]byte, error) {
	ids := func() *panelIDs { return &panelIDs{} }
	airD, err := air(ids(), cat)
	if err != nil {
		return nil, err
	}
	wwD, err := wastewater(ids(), cat)
	if err != nil {
		return nil, err
	}
	builders := map[string]*dashboardBuilder{
		"quantrac-overview.json":   overview(ids()),
		"quantrac-air.json":        airD,
		"quantrac-wastewater.json": wwD,
		"quantrac-ingester.json":   health(ids()),
	}
	files := map[string][]byte{}
	for name, b := range builders {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := setPanelDatasources(&d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		js, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files[name] = append(js, '\n')
	}
	return files, nil
}

// checkDir compares dir with files: every file present and equal, no other JSON file.
func checkDir(dir string, files map[string][]byte) error {
	var stale []string
	for _, name := range sortedKeys(files) {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, files[name]) {
			stale = append(stale, name)
		}
	}
	existing, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range existing {
		if _, ok := files[filepath.Base(f)]; !ok {
			stale = append(stale, filepath.Base(f)+" (not generated: remove it)")
		}
	}
	if len(stale) > 0 {
		return errors.New("stale dashboards in " + dir + ": " + fmt.Sprint(stale) + "; run `go run ./gen` in dashboards/")
	}
	return nil
}

// setPanelDatasources gives every panel the datasource of its queries: Grafana runs a panel's
// queries against the panel's datasource unless the panel is "Mixed".
func setPanelDatasources(d *dashboardModel) error {
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		var uid, typ string
		for _, t := range p.Panel.Targets {
			var ds *common.DataSourceRef
			switch q := t.(type) {
			case InfluxQuery:
				ds = &q.Datasource
			case *prometheus.Dataquery:
				ds = q.Datasource
			case prometheus.Dataquery:
				ds = q.Datasource
			default:
				return fmt.Errorf("panel %q: query type %T", deref(p.Panel.Title), t)
			}
			if ds == nil || ds.Uid == nil {
				return fmt.Errorf("panel %q: a query without datasource", deref(p.Panel.Title))
			}
			if uid != "" && uid != *ds.Uid {
				return fmt.Errorf("panel %q: queries of two datasources", deref(p.Panel.Title))
			}
			uid, typ = *ds.Uid, *ds.Type
		}
		if uid == "" {
			return fmt.Errorf("panel %q has no query", deref(p.Panel.Title))
		}
		r := ref(typ, uid)
		p.Panel.Datasource = &r
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
