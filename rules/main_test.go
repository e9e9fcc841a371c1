package rules

import (
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

func mustCatalog(t testing.TB) *Catalog {
	t.Helper()
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func mustRegistry(t testing.TB, sts ...*quantrac.Station) *quantrac.Registry {
	t.Helper()
	reg, err := quantrac.NewRegistry(sts...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func airStation(id string, regs ...string) *quantrac.Station {
	return &quantrac.Station{ID: id, Name: "Station " + id, Kind: quantrac.Air, Interval: 5 * time.Minute, Regulations: regs}
}
