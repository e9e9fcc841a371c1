// Package ingest turns received messages into envelopes and hands them to the store.
//
//	Source (MQTT, NATS) ──(bounded channel)──> N workers: topic → station → payload.Parser
//	                                               │ envelope: readings, rejection, ack
//	                                               ├──> Observer (rules, AQI) adds transitions, indices
//	                                               └──> Store.Put ──> InfluxDB / spool ──> ack
//
// The source's callback never decodes or does I/O: it only queues the message (STYLE §7).
// Ingest decides what a message is (accepted, malformed, unknown_station, …) and counts it;
// the store alone decides when it may be acknowledged (DESIGN §1, §9). Ingest imports neither
// the rules nor the store: both are interfaces owned here.
package ingest
