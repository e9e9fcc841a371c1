// Package ingest turns MQTT messages into readings and hands them to the sinks. Messages come
// from a Source: MQTTSource here, or a NATS JetStream consumer group member (ingest/natsjs).
//
//	paho callback ──(bounded channel)──> N workers: topic → station → payload.Parser
//	                                         │ readings ──> Observer (rules, AQI)
//	                                         │ lines (+ack) ──> store.Sink ──> InfluxDB / spool ──> ack
//	                                         └ rejections (+ack) ──> store.Sink (rejected_messages)
//
// The paho callback never decodes or does I/O: it only queues the message (STYLE §7). A
// message is acknowledged by the sink once its data is durable (DESIGN §9).
package ingest
