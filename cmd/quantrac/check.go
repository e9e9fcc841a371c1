package main

import (
	"flag"
	"fmt"
	"io"

	"log/slog"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/daemon"
)

// checkCommand validates what `quantrac run` would load, with the same code (daemon.LoadRules,
// daemon.LoadStations, which SIGHUP reload uses too), and prints one line per problem naming
// file, line or key, and reason, and one "warning:" line per change a valid configuration
// should still make (daemon.Warnings), which leaves the exit status 0.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "configuration file to check")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*cfgFile)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	cat, err := daemon.LoadRules(cfg)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	reg, err := daemon.LoadStations(cfg, cat, slog.New(slog.DiscardHandler))
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	for _, w := range daemon.Warnings(reg) {
		fmt.Fprintln(stderr, "warning: "+w)
	}
	name := cfg.File
	if name == "" {
		name = "(defaults)"
	}
	fmt.Fprintf(stdout, "%s: ok (%d stations in %s)\n", name, reg.Len(), cfg.StationsFile)
	return 0
}
