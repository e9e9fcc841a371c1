package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quantrac/quantrac/httpapi"
	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/internal/daemon"
	"github.com/quantrac/quantrac/internal/relay"
)

// relayCommand runs the relay from the station-facing Mosquitto (the config's mqtt block) to
// the NATS JetStream stream (its nats block), acknowledging MQTT only after the stream stored
// the message (README.md, "Which path: the PUBACK question": the safe path).
func relayCommand(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "configuration file (mqtt: the local broker; nats: the cluster)")
	addr := fs.String("web.listen-address", ":9787", "address of /metrics, /healthz and /readyz")
	webCfg := fs.String("web.config.file", "", "exporter-toolkit web config file for TLS and basic auth")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, log, code := lf.load(*cfgFile, stderr)
	if code != 0 {
		return code
	}
	if len(cfg.NATS.URLs) == 0 {
		fmt.Fprintf(stderr, "%s: nats.urls: must be set for the relay\n", cmpOr(cfg.File, "(defaults)"))
		return 1
	}
	layout, err := daemon.NATSLayout(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := cfg.MQTT
	src := ingest.NewMQTTSource(ingest.MQTTOptions{
		Broker: m.Broker, ClientID: m.ClientID, Topics: m.Topics, QoS: byte(m.QoS),
		Username: m.Username, Password: m.Password.Value(),
		CAFile: m.TLS.CAFile, CertFile: m.TLS.CertFile, KeyFile: m.TLS.KeyFile, ServerName: m.TLS.ServerName,
		InsecureSkipVerify: m.TLS.InsecureSkipVerify, MaxInflight: m.MaxInflight, Logger: log, Registerer: reg,
	})
	conn := daemon.NATSConn(cfg, log)
	conn.Name = "quantrac relay " + m.ClientID
	r := relay.New(relay.Options{Source: src, Conn: conn, Layout: layout, Logger: log, Registerer: reg})
	web, err := httpapi.New(httpapi.Options{Address: *addr, ConfigFile: *webCfg, Gatherer: reg, Logger: log,
		Ready: map[string]httpapi.Check{
			"mqtt": func(context.Context) error { return boolErr(src.Connected(), "not connected to the MQTT broker") },
			"nats": func(context.Context) error { return boolErr(r.Connected(), "not connected to the NATS cluster") },
		}})
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	webCtx, webStop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = web.Run(webCtx) })
	log.Info("relaying MQTT to NATS JetStream", "broker", m.Broker, "nats", cfg.NATS.URLs, "stream", layout.Stream, "web", web.Addr())
	err = r.Run(ctx)
	webStop()
	wg.Wait()
	if err != nil {
		log.Error("relay failed", "err", err)
		return 1
	}
	return 0
}

func boolErr(ok bool, msg string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("%s", msg)
}
