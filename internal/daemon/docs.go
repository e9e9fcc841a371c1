package daemon

import (
	"context"
	"errors"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/config"
	"github.com/quantrac/quantrac/rules"
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
	if d.spool.Bytes() < int64(d.cfg.Spool.MaxBytes)*9/10 {
		return nil
	}
	return errors.New("InfluxDB does not answer and the spool is full")
}

func (d *Daemon) stationsDoc() any {
	type station struct {
		ID       string            `json:"id"`
		Name     string            `json:"name"`
		Kind     quantrac.Kind     `json:"kind"`
		Location quantrac.Location `json:"location"`
		Tags     map[string]string `json:"tags,omitempty"`
		rules.StationStatus
	}
	status := map[string]rules.StationStatus{}
	for _, s := range d.engine.Stations() {
		status[s.Station] = s
	}
	out := []station{}
	for _, s := range d.registry.Load().Stations() {
		out = append(out, station{s.ID, s.Name, s.Kind, s.Location, s.Tags, status[s.ID]})
	}
	return map[string]any{"stations": out}
}

func (d *Daemon) violationsDoc() any {
	active := d.engine.Active()
	if active == nil {
		active = []quantrac.Transition{}
	}
	return map[string]any{"violations": active}
}
