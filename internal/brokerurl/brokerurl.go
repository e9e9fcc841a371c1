// Package brokerurl names the MQTT broker URL schemes quantrac dials, and those that use TLS:
// the configuration's validation, the subscriber and the dialer agree on them through it.
package brokerurl

import "slices"

var (
	plainSchemes = []string{"tcp", "mqtt", "ws"}
	tlsSchemes   = []string{"ssl", "tls", "mqtts", "mqtt+ssl", "tcps", "wss"}
)

// Schemes returns every scheme quantrac dials, plain ones first.
func Schemes() []string { return slices.Concat(plainSchemes, tlsSchemes) }

// Known reports whether quantrac dials scheme.
func Known(scheme string) bool {
	return slices.Contains(plainSchemes, scheme) || slices.Contains(tlsSchemes, scheme)
}

// TLS reports whether scheme dials with TLS (mqtt.tls applies to it).
func TLS(scheme string) bool { return slices.Contains(tlsSchemes, scheme) }

// WebSocket reports whether scheme is MQTT over WebSocket (ws, wss).
func WebSocket(scheme string) bool { return scheme == "ws" || scheme == "wss" }
