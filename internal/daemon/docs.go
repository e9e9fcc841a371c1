package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/quantrac/quantrac/config"
)

// sourceReady holds while messages can arrive (/readyz names it after the source).
func (d *Daemon) sourceReady(context.Context) error {
	if !d.source.Connected() {
		if d.cfg.Source == config.SourceNATS {
			return errors.New("not connected to the NATS cluster, or not consuming from the consumer group")
		}
		return errors.New("not connected to the MQTT broker")
	}
	return nil
}

// influxReady holds while InfluxDB answers or the spool can take data for it.
func (d *Daemon) influxReady(ctx context.Context) error {
	if d.writer.Ping(ctx) {
		return nil
	}
	if err := d.spool.Refusal(); err != nil {
		return fmt.Errorf("InfluxDB does not answer and the spool cannot take data: %w", err)
	}
	return nil
}
