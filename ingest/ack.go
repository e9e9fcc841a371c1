//go:build !quantrac_autoack

package ingest

// autoAck is false in every real build: a message is acknowledged only once its data is durable
// (docs/decisions/0001-puback-when-durable.md). The quantrac_autoack build tag exists only to
// measure what that costs (scripts/ackcost.sh); never ship such a binary.
const autoAck = false
