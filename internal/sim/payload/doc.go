// Package payload encodes simulated messages (sim.Message) in the formats quantrac accepts
// (README.md, "Payloads"): native JSON, SenML (RFC 8428), InfluxDB line protocol and the data
// line format of Circular 10/2021/TT-BTNMT ("tt10").
//
//	sim.Message ──Format.Encode──> []byte ──> MQTT publish or a TT10 data file
//	                 └─ bad kinds the encoder makes: malformed (cut short), oversized (repeated)
//
// Encoders append to a caller's buffer and allocate nothing of their own, so the load
// generator can run them at tens of thousands of messages per second.
package payload
