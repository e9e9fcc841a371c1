//go:build quantrac_autoack

package ingest

// autoAck makes paho acknowledge each message on receipt. MEASUREMENT ONLY: such a binary
// loses data on a crash. See ack.go.
const autoAck = true
