// Package store keeps quantrac's data in InfluxDB (README.md, "InfluxDB schema") and decides
// each message's fate.
//
//	Sink.Put(envelope) ── encode (line protocol: readings, violations, indices, quarantine entry)
//	        │  collect until batch_size points or flush_interval
//	        ▼
//	LineWriter.Write (InfluxDB /api/v2/write)
//	        │ ok ─────────────────────────────────────────────────────> durable: ack
//	        │ retryable (down, 5xx, 429, auth) ── spool (fsync) ok ───> durable: ack
//	        │                                  └─ no room / no spool ─> held: retried
//	        │ refused (4xx) ── each message alone ── quarantine entry written or spooled
//	        │                                     │                    ─> quarantined: ack
//	        │                                     └ otherwise ────────> held: retried
//	        ▼
//	retrier: held messages grouped by station, each station with its own backoff (retry.go);
//	         the stations due together share one write, and go through the same steps
//	        ▼
//	spool replayer ──> InfluxDB when it is back; a record is confirmed only when every line
//	                   of it is durable there
//
// decide (fate.go) is the one function that says durable, quarantined or held; everything
// else reports outcomes to it. A held message is never acknowledged: after a stop the broker
// redelivers it, and the same points written twice land on the same points.
package store
