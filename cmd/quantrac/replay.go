package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/quantrac/quantrac/internal/daemon"
)

// replayCommand republishes quarantined messages (rejected_messages) to the broker, where the
// running quantrac ingests them like live data — rules and AQI included — e.g. after adding a
// station that was unknown when they arrived (reload quantrac with SIGHUP first). Readings
// that were already accepted land on the same points again, so nothing is duplicated. A
// spooled point InfluxDB refused goes to its station's topic; one that makes no station
// message (no station tag, not a kind's measurement) is reported and not republished.
func replayCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "configuration file")
	since := fs.Duration("since", 24*time.Hour, "replay messages quarantined within this long")
	reason := fs.String("reason", "", "replay only messages rejected for this reason (e.g. unknown_station)")
	station := fs.String("station", "", "replay only messages for this station (topic's station)")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, log, code := lf.load(*cfgFile, stderr)
	if code != 0 {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rep, err := daemon.Replay(ctx, cfg, daemon.ReplayFilter{Since: *since, Reason: *reason, Station: *station}, log)
	if err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return 1
	}
	for _, why := range rep.Refused {
		fmt.Fprintln(stderr, "replay: not republished:", why)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
	return 0
}
