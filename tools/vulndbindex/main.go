package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vulndbindex:", err)
		os.Exit(1)
	}
}

// run parses args, loads the OSV entries and writes the database.
func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("vulndbindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vulns := fs.String("vulns", "", "directory of OSV JSON files (x/vulndb's data/osv)")
	out := fs.String("out", "", "directory to write the v1 database to")
	modified := fs.String("modified", "", "RFC 3339 time that index/db.json's modified is raised to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *vulns == "" || *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("need -vulns and -out, and no arguments")
	}
	var floor time.Time
	if *modified != "" {
		t, err := time.Parse(time.RFC3339, *modified)
		if err != nil {
			return fmt.Errorf("-modified: %w", err)
		}
		floor = t
	}
	entries, err := load(*vulns)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("no OSV entries in %s", *vulns)
	}
	return write(*out, newIndex(entries, floor), entries)
}
