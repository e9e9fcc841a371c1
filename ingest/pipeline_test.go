package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest/payload"
)

// recordingStore is a stand-in for store.Sink that keeps the last envelope's rejection; the
// pipeline's routing and counting need no database.
type recordingStore struct{ last quantrac.Rejection }

func (s *recordingStore) Put(_ context.Context, e *quantrac.Envelope) error {
	s.last = e.Rejection
	return nil
}

// testPipeline returns a pipeline over one air station S, its store and its metrics registry.
func testPipeline(t *testing.T, template string, formats map[string]payload.Format) (*Handler, *recordingStore, *prometheus.Registry) {
	t.Helper()
	tmpl, err := ParseTemplate(template)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := quantrac.NewRegistry(&quantrac.Station{ID: "S", Kind: quantrac.Air})
	if err != nil {
		t.Fatal(err)
	}
	store, mreg := &recordingStore{}, prometheus.NewRegistry()
	p := NewPipeline(PipelineOptions{
		Template: tmpl, Registry: func() *quantrac.Registry { return reg }, MaxPayloadBytes: 1 << 20,
		Limits: payload.Limits{MaxReadings: 1000}, Formats: formats, Store: store, Registerer: mreg,
	})
	return p.Handler(), store, mreg
}

func handle(t *testing.T, h *Handler, topic, body string) string {
	t.Helper()
	result, err := h.Handle(context.Background(), Message{Topic: topic, Payload: []byte(body), Received: time.Now(), Ack: func() {}})
	if err != nil {
		t.Fatal(err)
	}
	return result
}

// Every rejected reading of a message is counted by reason, not only the 100 itemized.
func TestRejectedReadingsAllCounted(t *testing.T) {
	h, _, mreg := testPipeline(t, "stations/{station}/{kind}", nil)
	var b strings.Builder
	fmt.Fprintf(&b, `{"time": %d, "readings": {`, time.Now().Unix())
	for i := range 1500 {
		fmt.Fprintf(&b, `"k%d": 1,`, i)
	}
	b.WriteString(`"pm25": 1}}`)
	if got := handle(t, h, "stations/S/air", b.String()); got != ResultInvalid {
		t.Fatalf("result %s, want invalid", got)
	}
	for reason, want := range map[string]float64{payload.ReasonUnknownParameter: 1000, payload.ReasonTooMany: 501} {
		if got := rejected(t, mreg, reason); got != want {
			t.Errorf("quantrac_readings_rejected_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
}

// A line without a timestamp is refused no_time, counted and kept like any other reason.
func TestNoTimeRefusedCountedAndKept(t *testing.T) {
	h, store, mreg := testPipeline(t, "stations/{station}/{kind}", nil)
	if got := handle(t, h, "stations/S/air", "air pm25=1,pm10=2"); got != ResultInvalid {
		t.Fatalf("result %s, want invalid", got)
	}
	if store.last.Reason != payload.ReasonNoTime {
		t.Errorf("rejection %+v, want reason no_time", store.last)
	}
	if got := rejected(t, mreg, payload.ReasonNoTime); got != 2 {
		t.Errorf("no_time readings counted %v, want 2", got)
	}
}

// The format filter with more literal levels wins, whatever the map order: with legacy/#
// → tt10 and legacy/+/air → json, a JSON message on legacy/S/air is always decoded as JSON.
func TestFormatMostLiteralFilterWins(t *testing.T) {
	for range 50 { // a fresh map each time: Go randomizes the iteration order per map
		h, store, _ := testPipeline(t, "legacy/{station}/{kind}",
			map[string]payload.Format{"legacy/#": payload.DataLine, "legacy/+/air": payload.JSON, "+/+/+": payload.SenML})
		for range 20 {
			body := fmt.Sprintf(`{"time": %d, "readings": {"pm25": 1}}`, time.Now().Unix())
			if got := handle(t, h, "legacy/S/air", body); got != ResultAccepted {
				t.Fatalf("JSON on legacy/S/air: %s (%+v), want accepted: the json filter has the most literal levels", got, store.last)
			}
		}
	}
}

// rejected returns quantrac_readings_rejected_total{reason} from mreg (0 when absent).
func rejected(t *testing.T, mreg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := mreg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "quantrac_readings_rejected_total" && m.GetLabel()[0].GetValue() == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
