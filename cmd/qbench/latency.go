package main

import (
	"bytes"
	"fmt"
	"net/http"
	"time"
)

// Latency probing: how long after a station publishes a breaching reading does quantrac
// report the breach? Each probe station has a permit limit on COD that holds for every sample
// (period sample), so one reading of 300 mg/L (4× the limit) is a breach. A probe publishes that
// reading (QoS 1, time = now) on a fresh probe station and polls /api/v1/violations until
// the station is listed. The list is engine.Active(), the state quantrac_violation is made
// of at scrape time, and it is small (only violations in progress), whereas /metrics holds
// every series of every station: megabytes at 10,000 stations, too costly to poll every
// 10 ms without changing what is measured.
const (
	probePoll    = 10 * time.Millisecond // poll period
	probeGap     = 20 * time.Millisecond // pause between probes
	probeTimeout = 30 * time.Second      // a probe not seen by then is missed
	probeValue   = 300.0                 // mg/L COD, 4× the probe stations' permit limit
)

// latency runs the probes while stationsim keeps a steady background load on quantrac.
func (r *stationRun) latency() (Latency, error) {
	o := r.b.o
	lat := Latency{Probes: o.probes, BackgroundRate: o.latencyRate}
	if o.probes == 0 {
		return lat, nil
	}
	if o.latencyRate > 0 {
		bg, _, err := r.startSim("stationsim-background", load{rate: o.latencyRate, duration: time.Hour, prefix: backgroundPrefix})
		if err != nil {
			return lat, err
		}
		defer func() { _ = stopSim(bg) }()
		time.Sleep(time.Second) // let it reach its rate
	}
	pub, err := newPublisher(r.broker.URL(), probeClientID)
	if err != nil {
		return lat, err
	}
	defer pub.close()
	lat.Load1 = load1()
	var ms []float64
	var pollTotal time.Duration
	var polls int
	for i := range o.probes {
		d, n, took, body, err := r.probe(pub, probeID(i))
		if err != nil {
			return lat, err
		}
		polls += n
		pollTotal += took
		lat.BodyBytes = body
		if d < 0 {
			lat.Missed++
		} else {
			ms = append(ms, float64(d)/float64(time.Millisecond))
		}
		time.Sleep(probeGap)
	}
	if len(ms) > 0 {
		lat.P50ms, lat.P99ms, lat.MaxMs = percentile(ms, 50), percentile(ms, 99), percentile(ms, 100)
	}
	if polls > 0 {
		lat.PollMs = float64(pollTotal) / float64(polls) / float64(time.Millisecond)
	}
	return lat, nil
}

// probe publishes one breaching reading for station id and returns the time until the
// violation was listed (−1 if missed), the number of polls, their total duration and the
// size of the last answer.
func (r *stationRun) probe(pub *publisher, id string) (time.Duration, int, time.Duration, int, error) {
	payload := fmt.Sprintf(`{"time":%q,"station":%q,"readings":{"cod":%g}}`, time.Now().UTC().Format(time.RFC3339), id, probeValue)
	want := []byte(`"` + id + `"`)
	t0 := time.Now()
	if err := pub.publish("stations/"+id+"/wastewater", []byte(payload)); err != nil {
		return 0, 0, 0, 0, err
	}
	var polls, size int
	var took time.Duration
	for next := t0; time.Since(t0) < probeTimeout; next = next.Add(probePoll) {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		ts := time.Now()
		body, code, err := r.q.get("/api/v1/violations")
		took += time.Since(ts)
		polls++
		if err != nil || code != http.StatusOK {
			return 0, polls, took, size, fmt.Errorf("/api/v1/violations: HTTP %d: %w", code, err)
		}
		size = len(body)
		if bytes.Contains(body, want) {
			return time.Since(t0), polls, took, size, nil
		}
		if now := time.Now(); now.After(next.Add(probePoll)) {
			next = now.Add(-probePoll) // a slow poll: the next one starts now
		}
	}
	return -1, polls, took, size, nil
}
