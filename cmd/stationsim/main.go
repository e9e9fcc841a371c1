// Command stationsim simulates monitoring stations for quantrac: realistic air-quality and
// wastewater readings, violation episodes and bad messages, published over MQTT at a given
// rate or written as Circular 10/2021 data files. It is also quantrac's load generator.
// See README.md and `stationsim -h`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usageText = `Usage: stationsim -broker URL (-stations-file F | -stations N [-print-registry])
                  -rate R (-duration D | -count N) [flags]

Simulates monitoring stations (quantrac's README.md: registry, payloads): each station
publishes its readings to stations/{station}/{kind}, one message per record set, with
realistic diurnal values, optional violation episodes (-violate) and bad messages (-bad);
deterministic with -seed. With -format tt10 -out DIR it writes Circular 10/2021 data files instead of publishing.

Measurement times: station k-th message is stamped -start + k × -step. By default -start is
now and -step is stations/rate (whole seconds for tt10), so times keep pace with the wall
clock; set both to backfill history, e.g. -start 2026-11-28T00:00:00+07:00 -step 5m.

At the end a summary goes to stderr: messages sent/acked/failed, readings, bad messages by
kind, elapsed time, msg/s and stationsim's own CPU seconds (last line "summary: k=v ...").

Flags:
`

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, "stationsim:", err)
		os.Exit(2)
	}
}

// run parses flags and runs stationsim until done or interrupted.
func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cfg.execute(ctx, stdout, stderr, time.Now)
}
