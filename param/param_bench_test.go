package param

import "testing"

func BenchmarkLookup(b *testing.B) {
	for _, name := range []string{"pm25", "PM2,5", "Nhiệt độ", "pm2.5", " PM2.5 "} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := Lookup(name); !ok {
					b.Fatal("not found")
				}
			}
		})
	}
}

func BenchmarkToCanonical(b *testing.B) {
	so2, _ := Lookup("so2")
	for _, unit := range []string{"", "µg/m³", "ppb", "mg/Nm3"} {
		b.Run(unit, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := so2.ToCanonical(12, unit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLookupAllocs pins the hot-path promise: exact ids and aliases do not allocate, nor do
// case or space variants that fit the fold buffer.
func TestLookupAllocs(t *testing.T) {
	for _, name := range []string{"pm25", "PM2,5", "Nhiệt độ", "pm2.5", " PM2.5 "} {
		if n := testing.AllocsPerRun(100, func() { Lookup(name) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %v times", name, n)
		}
	}
	so2, _ := Lookup("so2")
	if n := testing.AllocsPerRun(100, func() { _, _ = so2.ToCanonical(12, "ppb") }); n != 0 {
		t.Errorf("ToCanonical allocates %v times", n)
	}
}
