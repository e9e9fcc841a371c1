package ingest

import "testing"

func TestStationStatusPayloads(t *testing.T) {
	for payload, want := range map[string]any{
		"offline": false, "online": true, " OFFLINE\n": false,
		`{"status": "offline"}`: false, `{"status":"online"}`: true, `{ "STATUS" : "Online" }`: true,
		"garbage": nil, "": nil, `{"state": "online"}`: nil, `{"status": "online", "x": 1}`: nil, "onlineoffline": nil,
	} {
		online, ok := parseStatus([]byte(payload))
		if want == nil {
			if ok {
				t.Errorf("%q: status %v accepted for a payload that is none", payload, online)
			}
			continue
		}
		if !ok || online != want {
			t.Errorf("%q: got %v (ok %v), want %v", payload, online, ok, want)
		}
	}
}
