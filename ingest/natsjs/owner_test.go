package natsjs

import (
	"log/slog"
	"slices"
	"testing"
)

// Partitions the group's configuration takes away from the member, and every partition when
// another instance of the member is pinned, are released: their stations are judged elsewhere.
func TestOwnerReleases(t *testing.T) {
	var released [][]int
	o := &owner{log: slog.New(slog.DiscardHandler), ready: map[int]bool{1: true, 2: true, 3: true}, pin: "p1",
		onRelease: func(parts []int) { released = append(released, slices.Clone(parts)) }}
	o.setOwned([]int{1, 3, 4})
	if len(released) != 1 || !slices.Equal(released[0], []int{2}) || o.ready[2] {
		t.Fatalf("after the membership took partition 2: released %v, ready %v", released, o.ready)
	}
	o.setOwned([]int{1, 3, 4})
	if len(released) != 1 {
		t.Fatalf("the same configuration again released %v", released[1:])
	}
	o.unpinned("another pin")
	if len(released) != 1 {
		t.Fatalf("a pin this instance does not hold released %v", released[1:])
	}
	o.unpinned("p1")
	if len(released) != 2 || !slices.Equal(released[1], []int{1, 3}) || len(o.ready) != 0 || o.pin != "" {
		t.Fatalf("after another instance was pinned: released %v, ready %v, pin %q", released, o.ready, o.pin)
	}
}
