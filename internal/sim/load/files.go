package load

import (
	"context"

	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/tt10dir"
)

// Files is a Sink that writes each message as a Circular 10/2021 data file.
type Files struct {
	W     *tt10dir.Writer
	stats Stats
}

// Send writes the file; it is complete when Send returns.
func (f *Files) Send(_ context.Context, m *sim.Message, payload []byte) error {
	f.stats.Sent++
	if _, err := f.W.Write(m, payload); err != nil {
		f.stats.Failed++
		return err
	}
	f.stats.Acked++
	return nil
}

// Close reports the counters; files need no flushing.
func (f *Files) Close(context.Context) (Stats, error) { return f.stats, nil }
