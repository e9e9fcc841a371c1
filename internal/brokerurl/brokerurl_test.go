package brokerurl

import "testing"

func TestSchemes(t *testing.T) {
	for _, c := range []struct {
		scheme         string
		known, tls, ws bool
	}{
		{"tcp", true, false, false}, {"mqtt", true, false, false}, {"ws", true, false, true},
		{"ssl", true, true, false}, {"tls", true, true, false}, {"mqtts", true, true, false},
		{"mqtt+ssl", true, true, false}, {"tcps", true, true, false}, {"wss", true, true, true},
		{"http", false, false, false}, {"", false, false, false},
	} {
		if Known(c.scheme) != c.known || TLS(c.scheme) != c.tls || WebSocket(c.scheme) != c.ws {
			t.Errorf("%q: known %v tls %v ws %v; want %v %v %v", c.scheme,
				Known(c.scheme), TLS(c.scheme), WebSocket(c.scheme), c.known, c.tls, c.ws)
		}
	}
	if len(Schemes()) != 9 {
		t.Errorf("Schemes() = %v", Schemes())
	}
}
