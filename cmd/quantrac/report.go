package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/archive"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/daemon"
	"github.com/quantrac/quantrac/internal/i18n"
	"github.com/quantrac/quantrac/qcview"
	"github.com/quantrac/quantrac/report"
	"github.com/quantrac/quantrac/store"
)

// reportCommand writes the monthly compliance report computed from InfluxDB, the same as the
// console's /reports/{yyyy-mm}: HTML (print it, one station a page) or CSV. Like the daemon it
// leaves out the readings the data-quality spans in force make invalid (the spans are read
// once, at the start) and names the month's approvals (README "Data quality").
func reportCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "configuration file")
	month := fs.String("month", "", "the month, YYYY-MM (required)")
	station := fs.String("station", "", "one station (default: every station, with the province indicators)")
	format := fs.String("format", "html", "html or csv")
	lang := fs.String("lang", "", "vi or en (default: Vietnamese unless most stations are outside Vietnam's time zone)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := report.ParseMonth(*month)
	if err != nil {
		fmt.Fprintln(stderr, "report: -month:", err)
		return 2
	}
	if *format != "html" && *format != "csv" {
		fmt.Fprintf(stderr, "report: -format: %q is not html or csv\n", *format)
		return 2
	}
	l, ok := i18n.Parse(*lang)
	if *lang != "" && !ok {
		fmt.Fprintf(stderr, "report: -lang: %q is not vi or en\n", *lang)
		return 2
	}
	cfg, err := config.Load(*cfgFile)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	r, reg, err := buildReport(ctx, cfg, m, *station)
	if err != nil {
		fmt.Fprintln(stderr, "report:", err)
		if errors.Is(err, report.ErrUnknownStation) {
			return 2
		}
		return 1
	}
	if !ok {
		l = i18n.ForRegistry(reg)
	}
	w := bufio.NewWriter(stdout)
	if *format == "csv" {
		err = r.WriteCSV(w)
	} else {
		err = writeReportHTML(w, r, l)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(stderr, "report:", err)
		return 1
	}
	return 0
}

func buildReport(ctx context.Context, cfg *config.Config, m report.Month, station string) (*report.Report, *quantrac.Registry, error) {
	cat, err := daemon.LoadRules(cfg)
	if err != nil {
		return nil, nil, err
	}
	reg, err := daemon.LoadStations(cfg, cat, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	in := cfg.Influx
	q := store.NewQuerier(store.WriterOptions{URL: in.URL, Org: in.Org, Bucket: in.Bucket, Token: in.Token.Value(),
		Timeout: in.Timeout, CAFile: in.TLS.CAFile, CertFile: in.TLS.CertFile, KeyFile: in.TLS.KeyFile,
		ServerName: in.TLS.ServerName, InsecureSkipVerify: in.TLS.InsecureSkipVerify}, nil)
	spans := qcview.New(qcview.Options{Querier: q})
	if err := spans.Refresh(ctx); err != nil {
		return nil, nil, fmt.Errorf("reading the data-quality spans: %w", err)
	}
	b := &report.Builder{Archive: archive.New(q).WithSpans(spans), Catalog: cat,
		Registry: func() *quantrac.Registry { return reg }, QC: store.NewQC(q, nil)}
	r, err := b.Build(ctx, m, station, time.Now())
	return r, reg, err
}

func writeReportHTML(w io.Writer, r *report.Report, l i18n.Lang) error {
	t, err := report.Template()
	if err != nil {
		return err
	}
	return r.WriteHTML(w, t, report.HTMLOptions{Lang: l})
}
