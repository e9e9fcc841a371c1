package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/pcgroups"

	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/ingest/natsjs"
	"github.com/quantrac/quantrac/internal/daemon"
)

const clusterUsage = `usage: quantrac cluster <init|members|status> -config F [flags]

  init     create (or check) the stream and the partitioned consumer group of the nats block;
           -members m1,m2 also adds members (instances add their own member when they start)
  members  change the group's membership: -add m3 and/or -drop m1 (elastic: the partitions
           are redistributed at once, each member's pinned instance follows within seconds)
  status   print the stream, the group's work queue, and each member's partitions, pinned
           instance and lag
`

// clusterCommand administers the NATS JetStream layout (README.md, "Scaling out").
func clusterCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("cluster "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "configuration file (its nats block)")
	var add, drop, members string
	switch sub {
	case "init":
		fs.StringVar(&members, "members", "", "comma-separated members to add")
	case "members":
		fs.StringVar(&add, "add", "", "comma-separated members to add")
		fs.StringVar(&drop, "drop", "", "comma-separated members to drop")
	case "status":
	default:
		fmt.Fprintf(stderr, "quantrac cluster: unknown subcommand %q\n\n%s", sub, clusterUsage)
		return 2
	}
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	cfg, log, code := lf.load(*cfgFile, stderr)
	if code != 0 {
		return code
	}
	if len(cfg.NATS.URLs) == 0 {
		fmt.Fprintf(stderr, "%s: nats.urls: must be set for quantrac cluster\n", cmpOr(cfg.File, "(defaults)"))
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := runCluster(ctx, cfg, log, sub, split(members), split(add), split(drop), stdout); err != nil {
		fmt.Fprintln(stderr, "quantrac cluster "+sub+":", err)
		return 1
	}
	return 0
}

func runCluster(ctx context.Context, cfg *config.Config, log *slog.Logger, sub string, members, add, drop []string, stdout io.Writer) error {
	l, err := daemon.NATSLayout(cfg)
	if err != nil {
		return err
	}
	co := daemon.NATSConn(cfg, log)
	co.Name = "quantrac cluster " + sub
	nc, err := natsjs.Connect(co)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	switch sub {
	case "init":
		if err := natsjs.Init(ctx, js, l); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "stream %s (%v, R%d) and consumer group %s (%d partitions by station, work queue %s) are in place\n",
			l.Stream, l.Subjects, l.Replicas, l.Group, l.Partitioning.Partitions, l.GroupStream())
		if len(members) == 0 {
			return nil
		}
		add = members
	case "status":
		return clusterStatus(ctx, js, l, stdout)
	}
	got, err := natsjs.SetMembers(ctx, js, l, add, drop)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "members of %s: %s\n", l.Group, strings.Join(got, ", "))
	return nil
}

func clusterStatus(ctx context.Context, js jetstream.JetStream, l natsjs.Layout, w io.Writer) error {
	for _, name := range []string{l.Stream, l.GroupStream()} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			return fmt.Errorf("stream %s: %w (run quantrac cluster init)", name, err)
		}
		info := s.CachedInfo()
		leader := ""
		if info.Cluster != nil {
			leader = info.Cluster.Leader
		}
		fmt.Fprintf(w, "stream %s: %d messages, R%d, leader %s\n", name, info.State.Msgs, info.Config.Replicas, leader)
	}
	cfg, err := pcgroups.GetElasticConsumerGroupConfig(ctx, js, l.Stream, l.Group)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "member\tpartitions\tpinned instance\tpending\tack pending\tredelivered")
	names := cfg.Members
	for _, m := range cfg.MemberMappings {
		names = append(names, m.Member)
	}
	for _, m := range names {
		pinned, pending, ackPending, redelivered := "-", "-", "-", "-"
		if c, err := js.Consumer(ctx, l.GroupStream(), m); err == nil {
			if ci, err := c.Info(ctx); err == nil {
				for _, g := range ci.PriorityGroups {
					if g.PinnedClientID != "" {
						pinned = g.PinnedClientID
					}
				}
				pending, ackPending, redelivered = fmt.Sprint(ci.NumPending), fmt.Sprint(ci.NumAckPending), fmt.Sprint(ci.NumRedelivered)
			}
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%s\n", m, natsjs.Owned(cfg, m), pinned, pending, ackPending, redelivered)
	}
	return tw.Flush()
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
