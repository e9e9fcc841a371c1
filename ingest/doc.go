// Package ingest turns received messages into envelopes and hands them to the store.
// Messages come from a Source: MQTTSource here, or a NATS JetStream consumer group member
// (ingest/natsjs).
//
//	Source (MQTT, NATS) ──(bounded channel)──> N workers: topic → station → payload.Parser
//	                                               │ envelope: readings, rejection, ack
//	                                               ├──> Observer (rules, AQI) adds transitions, indices
//	                                               └──> Store.Put ──> InfluxDB / spool ──> ack
//
// The source's callback never decodes or does I/O: it only queues the message (and blocks while
// max_inflight messages wait: that is the backpressure). Ingest decides what a message is
// (accepted, malformed, unknown_station, …) and counts it; the store alone decides when it may
// be acknowledged (docs/architecture.md; docs/decisions/0001-puback-when-durable.md). Ingest
// imports neither the rules nor the store: both are interfaces owned here.
package ingest
