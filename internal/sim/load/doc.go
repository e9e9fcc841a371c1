// Package load runs stationsim: it paces messages of simulated stations at a total rate and
// hands them to sinks — MQTT connections (QoS 0/1, many messages in flight) or a directory of
// Circular 10/2021 data files.
//
//	Run ──> one goroutine per sink, stations spread round-robin over the sinks
//	          │ Pacer (token bucket, rate × share of stations)
//	          │ sim.Model.Message ─> ApplyBad ─> payload.Format.Encode
//	          ▼
//	        Sink.Send ──> Conn: paho Publish, tokens kept in a sliding window,
//	                            the oldest awaited only when the window is full
//	                 └──> Files: tt10dir.Writer (temp file + rename)
//
// Each goroutine owns its sink and its counters; Run adds them up when all are done.
package load
