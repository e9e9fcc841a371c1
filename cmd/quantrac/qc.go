package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/internal/qcclient"
)

// EnvQCPassword holds the password of quantrac qc when -password-file is not given.
const EnvQCPassword = "QUANTRAC_QC_PASSWORD"

const qcUsage = `usage: quantrac qc <command> -url URL -user U -password-file F [flags]

commands:
  list        the QC spans, automatic and manual, active and revoked (-station -from -to)
  invalidate  invalidate (or with -action validate, validate again) a station's readings
              (-station -parameter -from -to -reason [-action])
  revoke      revoke a span: revoke ID (with -approval, withdraw an approval)
  approve     approve a station's month (-station -month YYYY-MM)
The password comes from -password-file or ` + EnvQCPassword + `. Run "quantrac qc <command> -h" for flags.
`

// qcCommand is a client of the data-quality API (docs/data-quality.md): it sends what the
// flags say, prints the answer, and on a refusal prints the server's message and exits 1.
func qcCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, qcUsage)
		return 2
	}
	cmds := map[string]func(*qcFlags, []string) (func(context.Context, *qcclient.Client) error, error){
		"list": qcList, "invalidate": qcInvalidate, "revoke": qcRevoke, "approve": qcApprove,
	}
	build, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "quantrac qc: unknown command %q\n\n%s", args[0], qcUsage)
		return 2
	}
	fs := flag.NewFlagSet("qc "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &qcFlags{fs: fs, stdout: stdout}
	f.register()
	run, err := build(f, args[1:])
	if err != nil {
		if !errors.Is(err, errPrinted) {
			fmt.Fprintf(stderr, "quantrac qc %s: %v\n", args[0], err)
		}
		return 2
	}
	c, err := f.client()
	if err != nil {
		fmt.Fprintf(stderr, "quantrac qc %s: %v\n", args[0], err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintf(stderr, "quantrac qc %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// qcFlags are the flags every qc command takes.
type qcFlags struct {
	fs                                   *flag.FlagSet
	stdout                               io.Writer
	url, user, passwordFile, caFile      string
	timeout                              time.Duration
	station, parameter, from, to, reason string
}

func (f *qcFlags) register() {
	f.fs.StringVar(&f.url, "url", "http://127.0.0.1:9786", "quantrac's address (-web.listen-address), http:// or https://")
	f.fs.StringVar(&f.user, "user", "", "user of the web config's basic_auth_users (writes: one named in web.editors)")
	f.fs.StringVar(&f.passwordFile, "password-file", "", "file holding the user's password (or env "+EnvQCPassword+")")
	f.fs.StringVar(&f.caFile, "ca-file", "", "CA certificates (PEM) that sign an https:// quantrac's certificate")
	f.fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
}

// errPrinted is a flag error the flag package has printed already.
var errPrinted = errors.New("flag error printed")

// parse parses args, which must leave want positional arguments.
func (f *qcFlags) parse(args []string, want int) error {
	if err := f.fs.Parse(args); err != nil {
		return errPrinted
	}
	if f.fs.NArg() != want {
		return fmt.Errorf("want %d argument(s) after the flags, got %q", want, f.fs.Args())
	}
	return nil
}

// client builds the API client of the flags: the password from -password-file or the
// environment, never from the command line.
func (f *qcFlags) client() (*qcclient.Client, error) {
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url: %q is not an http:// or https:// URL", f.url)
	}
	c := &qcclient.Client{URL: f.url, User: f.user, CAFile: f.caFile, Timeout: f.timeout}
	switch {
	case f.passwordFile != "":
		s, err := config.ReadSecretFile(f.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("-password-file: %w", err)
		}
		c.Password = s.Value()
	default:
		c.Password = os.Getenv(EnvQCPassword)
	}
	if f.user == "" && c.Password != "" {
		return nil, fmt.Errorf("a password is given but -user is empty")
	}
	return c, nil
}

// times parses -from and -to (RFC 3339); required says whether both must be given.
func (f *qcFlags) times(required bool) (from, to time.Time, err error) {
	for _, t := range []struct {
		name, s string
		dst     *time.Time
	}{{"-from", f.from, &from}, {"-to", f.to, &to}} {
		if t.s == "" {
			if required {
				return from, to, fmt.Errorf("%s: required (an RFC 3339 time, e.g. 2026-11-28T08:00:00+07:00)", t.name)
			}
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, t.s); err != nil {
			return from, to, fmt.Errorf("%s: %q is not an RFC 3339 time", t.name, t.s)
		}
	}
	return from, to, nil
}

func qcList(f *qcFlags, args []string) (func(context.Context, *qcclient.Client) error, error) {
	f.fs.StringVar(&f.station, "station", "", "one station (default: all)")
	f.fs.StringVar(&f.from, "from", "", "spans that reach this time or later (RFC 3339)")
	f.fs.StringVar(&f.to, "to", "", "spans that start at this time or earlier (RFC 3339)")
	if err := f.parse(args, 0); err != nil {
		return nil, err
	}
	from, to, err := f.times(false)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c *qcclient.Client) error {
		spans, err := c.Spans(ctx, f.station, from, to)
		if err != nil {
			return err
		}
		return printSpans(f.stdout, spans)
	}, nil
}

func qcInvalidate(f *qcFlags, args []string) (func(context.Context, *qcclient.Client) error, error) {
	f.fs.StringVar(&f.station, "station", "", "the station (required)")
	f.fs.StringVar(&f.parameter, "parameter", "", "the parameter, or * for all (required)")
	f.fs.StringVar(&f.from, "from", "", "first reading time of the span, RFC 3339 (required)")
	f.fs.StringVar(&f.to, "to", "", "last reading time of the span, RFC 3339 (required)")
	f.fs.StringVar(&f.reason, "reason", "", "why (required), e.g. \"analyser fault\"")
	action := f.fs.String("action", quantrac.QCInvalidate, "invalidate, or validate to make readings valid again")
	if err := f.parse(args, 0); err != nil {
		return nil, err
	}
	from, to, err := f.times(true)
	switch {
	case err != nil:
		return nil, err
	case f.station == "" || f.parameter == "":
		return nil, fmt.Errorf("-station and -parameter are required")
	case strings.TrimSpace(f.reason) == "":
		return nil, fmt.Errorf("-reason: required, e.g. -reason \"analyser fault\"")
	case *action != quantrac.QCInvalidate && *action != quantrac.QCValidate:
		return nil, fmt.Errorf("-action: %q is not invalidate or validate", *action)
	}
	req := qcclient.SpanRequest{Station: f.station, Parameter: f.parameter, From: from, To: to, Action: *action, Reason: f.reason}
	return func(ctx context.Context, c *qcclient.Client) error {
		sp, err := c.AddSpan(ctx, req)
		if err != nil {
			return err
		}
		return printSpans(f.stdout, []quantrac.QCSpan{sp})
	}, nil
}

func qcRevoke(f *qcFlags, args []string) (func(context.Context, *qcclient.Client) error, error) {
	approval := f.fs.Bool("approval", false, "ID is an approval's: withdraw it")
	if err := f.parse(args, 1); err != nil {
		return nil, err
	}
	id := f.fs.Arg(0)
	return func(ctx context.Context, c *qcclient.Client) error {
		if *approval {
			a, err := c.WithdrawApproval(ctx, id)
			if err == nil {
				fmt.Fprintf(f.stdout, "approval %s of %s for %s withdrawn by %s at %s\n", a.ID, a.Station, a.Month, a.WithdrawnBy, a.WithdrawnAt.Format(time.RFC3339))
			}
			return err
		}
		sp, err := c.RevokeSpan(ctx, id)
		if err != nil {
			return err
		}
		return printSpans(f.stdout, []quantrac.QCSpan{sp})
	}, nil
}

func qcApprove(f *qcFlags, args []string) (func(context.Context, *qcclient.Client) error, error) {
	f.fs.StringVar(&f.station, "station", "", "the station (required)")
	month := f.fs.String("month", "", "the month, YYYY-MM (required)")
	if err := f.parse(args, 0); err != nil {
		return nil, err
	}
	if f.station == "" || *month == "" {
		return nil, fmt.Errorf("-station and -month are required")
	}
	return func(ctx context.Context, c *qcclient.Client) error {
		a, err := c.Approve(ctx, f.station, *month)
		if err == nil {
			fmt.Fprintf(f.stdout, "approval %s: %s %s approved by %s at %s\n", a.ID, a.Station, a.Month, a.User, a.CreatedAt.Format(time.RFC3339))
		}
		return err
	}, nil
}

// printSpans writes spans as a table, one line each.
func printSpans(w io.Writer, spans []quantrac.QCSpan) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATION\tPARAMETER\tSOURCE\tACTION\tFROM\tTO\tUSER\tCREATED\tREVOKED\tREASON")
	for _, sp := range spans {
		revoked := "-"
		if !sp.Active() {
			revoked = sp.RevokedBy + " " + sp.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sp.ID, sp.Station, sp.Parameter, sp.Source, sp.Action,
			sp.From.Format(time.RFC3339Nano), sp.To.Format(time.RFC3339Nano), sp.User, sp.CreatedAt.Format(time.RFC3339), revoked, sp.Reason)
	}
	return tw.Flush()
}
