// Package natsjs is quantrac's NATS JetStream source (README.md, "Scaling out"): stations
// publish MQTT to any node of a NATS cluster (or to a local Mosquitto that a quantrac relay
// forwards), a replicated stream holds their messages, and quantrac instances form a
// partitioned consumer group (github.com/synadia-io/orbit.go/pcgroups, elastic) in which every
// station belongs to one partition and every partition to one member.
//
//	MQTT stations/X/air ──> node's MQTT listener ──> subject stations.X.air
//	                                                      │
//	  stream QUANTRAC (R3, stations.>) ───sourced, {{Partition(N,station)}}──> QUANTRAC-quantrac
//	  (7 days, for audits)                                 (R3 work queue: until acked)
//	                                                      │ member m1: partitions 0-7
//	                                                      │ member m2: partitions 8-15
//	                                 ┌────────────────────┘
//	                                 ▼ pinned instance of the member (standbys wait)
//	  Source ──(OnAcquire: rebuild the partition's stations)──> ingest.Message{Topic, Ack}
//	                                                               └─> pipeline ─> store ─> Ack
//
// A message's Ack is its JetStream acknowledgement, called by the store once the message's
// data is durable, exactly as for MQTT. Topic is the MQTT topic the station published, so the
// topic template and routing are those of the MQTT source.
package natsjs
