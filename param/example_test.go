package param_test

import (
	"fmt"

	"github.com/quantrac/quantrac/param"
)

func ExampleLookup() {
	p, ok := param.Lookup("PM2,5")
	fmt.Println(p.ID, p.Unit, ok)
	// Output: pm25 µg/m³ true
}

func ExampleParameter_ToCanonical() {
	so2, _ := param.Lookup("SO2")
	v, _ := so2.ToCanonical(12, "ppb")
	fmt.Printf("%.1f %s\n", v, so2.Unit)
	ppb, _ := so2.FromCanonical(v, "ppb")
	fmt.Printf("%.1f ppb\n", ppb)
	// Output:
	// 31.4 µg/m³
	// 12.0 ppb
}
