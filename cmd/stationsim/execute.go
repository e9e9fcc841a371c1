package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/load"
	"github.com/quantrac/quantrac/internal/sim/payload"
	"github.com/quantrac/quantrac/internal/sim/tt10dir"
)

// altUnitShare is how often an air message in native JSON carries a gas in ppb.
const altUnitShare = 0.05

// execute runs the configured simulation: print the registry, or send until done.
func (c *config) execute(ctx context.Context, stdout, stderr io.Writer, now func() time.Time) error {
	log, err := newLogger(stderr, c.logLevel)
	if err != nil {
		return err
	}
	reg, err := c.registry()
	if err != nil {
		return err
	}
	if c.printRegistry {
		y, err := sim.RegistryYAML(reg.Stations())
		if err != nil {
			return err
		}
		_, err = stdout.Write(y)
		return err
	}
	cfg := c.loadConfig(reg, now)
	log.Info("starting", "stations", reg.Len(), "format", c.format, "rate", c.rate, "duration", c.duration,
		"count", c.count, "start", cfg.Start.Format(time.RFC3339), "step", cfg.Step, "conns", c.conns, "qos", c.qos)
	if c.cpuProfile != "" {
		stopProfile, err := startCPUProfile(c.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	began, cpu0 := now(), load.CPUTime()
	sinks, err := c.sinks(ctx, reg, log)
	if err != nil {
		return err
	}
	stats, err := load.Run(ctx, cfg, sinks)
	stats.Elapsed, stats.CPU = now().Sub(began), load.CPUTime()-cpu0
	if werr := stats.WriteSummary(stderr); werr != nil {
		err = errors.Join(err, werr)
	}
	return err
}

// registry loads the registry file or generates the stations.
func (c *config) registry() (*quantrac.Registry, error) {
	if c.stationsFile != "" {
		return quantrac.LoadRegistry(c.stationsFile, quantrac.RegistryOptions{})
	}
	stations, err := sim.Stations(c.stations, c.seed)
	if err != nil {
		return nil, err
	}
	return quantrac.NewRegistry(stations...)
}

// loadConfig builds the run description, with the time defaults of the usage text.
func (c *config) loadConfig(reg *quantrac.Registry, now func() time.Time) load.Config {
	kinds := sim.AllBadKinds()
	if !c.format.HasPayloadStation() && c.out == "" {
		// A tt10 message names no station: a wrong_station one cannot be made over MQTT.
		kinds = slices.DeleteFunc(kinds, func(k sim.BadKind) bool { return k == sim.BadWrongStation })
	}
	model := sim.Model{Seed: c.seed, Violate: c.violate, Bad: c.bad, BadKinds: kinds, Params: c.params,
		Faults: c.faults, FaultRate: c.faultRate}
	if c.format.HasStatus() {
		model.Calibrate = c.calibrate
	}
	if c.format == payload.JSON {
		model.AltUnit = altUnitShare
	}
	step := c.step
	if step == 0 {
		step = time.Millisecond
		if c.rate > 0 {
			step = time.Duration(float64(reg.Len()) / c.rate * float64(time.Second))
		}
		if c.format == payload.TT10 { // file names and records have whole seconds
			step = time.Duration(math.Ceil(step.Seconds())) * time.Second
		}
	}
	start := c.start
	if start.IsZero() {
		start = now().Truncate(time.Second)
	}
	return load.Config{
		Stations: reg.Stations(), Registry: reg, Model: model, Format: c.format,
		Rate: c.rate, Duration: c.duration, Count: c.count, Start: start, Step: step, Now: now,
	}
}

// sinks opens the MQTT connections, or the file writer.
func (c *config) sinks(ctx context.Context, reg *quantrac.Registry, log *slog.Logger) ([]load.Sink, error) {
	if c.out != "" {
		w := &tt10dir.Writer{Dir: c.out, Layout: c.layout, Registry: reg}
		return []load.Sink{&load.Files{W: w}}, nil
	}
	tlsConf, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	n := min(c.conns, reg.Len())
	groups := make([][]*quantrac.Station, n)
	for i, st := range reg.Stations() {
		groups[i%n] = append(groups[i%n], st)
	}
	sinks := make([]load.Sink, 0, n)
	for i, g := range groups {
		conn, err := load.Dial(ctx, load.MQTTOptions{
			Broker: c.broker, ClientID: fmt.Sprintf("%s%d", c.clientIDPrefix, i),
			Username: c.username, Password: c.password, TLS: tlsConf, QoS: byte(c.qos),
			InFlight: c.inflight, Status: c.status, Logger: log,
		}, g)
		if err != nil {
			for _, s := range sinks {
				_, _ = s.Close(ctx)
			}
			return nil, err
		}
		sinks = append(sinks, conn)
	}
	return sinks, nil
}

func (c *config) tlsConfig() (*tls.Config, error) {
	if c.caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(c.caFile)
	if err != nil {
		return nil, fmt.Errorf("-ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-ca-file %s: no PEM certificates", c.caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// startCPUProfile starts profiling into file and returns the function that stops it.
func startCPUProfile(file string) (func(), error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log.level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
