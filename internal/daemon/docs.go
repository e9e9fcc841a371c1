package daemon

import (
	"context"
	"errors"
)

func (d *Daemon) mqttReady(context.Context) error {
	if !d.source.Connected() {
		return errors.New("not connected to the MQTT broker")
	}
	return nil
}

// influxReady holds while InfluxDB answers or the spool can take data for it.
func (d *Daemon) influxReady(ctx context.Context) error {
	if d.writer.Ping(ctx) {
		return nil
	}
	if d.spool.Bytes() < int64(d.cfg.Spool.MaxBytes)*9/10 {
		return nil
	}
	return errors.New("InfluxDB does not answer and the spool is full")
}
