package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/rules"
)

// checkCommand validates what `quantrac run` would load, with the same code, and prints one
// line per problem naming file, line or key, and reason.
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
	reg, err := quantrac.LoadRegistry(cfg.StationsFile)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	if errs := checkRules(cfg, reg); len(errs) > 0 {
		for _, e := range errs {
			printProblems(stderr, e)
		}
		return 1
	}
	name := cfg.File
	if name == "" {
		name = "(defaults)"
	}
	fmt.Fprintf(stdout, "%s: ok (%d stations in %s)\n", name, reg.Len(), cfg.StationsFile)
	return 0
}

// checkRules loads the catalog with the configured rule files and checks every station's
// regulations and permit limits against it.
func checkRules(cfg *config.Config, reg *quantrac.Registry) []error {
	cat, err := rules.LoadCatalog(cfg.Rules.Files...)
	if err != nil {
		return []error{err}
	}
	return rules.Check(cat, reg)
}
