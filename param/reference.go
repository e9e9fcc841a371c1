package param

import (
	"fmt"
	"strconv"
	"strings"
)

// Reference is the temperature at which a regulation states the mass concentration of a gas
// (µg per cubic metre of air at that temperature and 1 atm). QCVN 05:2023 (µg/Nm³, Nm³ at
// 25 °C and 760 mmHg) and the US EPA state 25 °C; Directive 2008/50/EC standardises gas volumes
// at 293 K and 101.3 kPa. The same air holds 200.8 µg/m³ of NO2 at 20 °C where it holds
// 197.6 at 25 °C (105 ppb).
//
// quantrac's canonical unit for gases, µg/m³, is stated at Standard (25 °C): readings in
// ppb/ppm are converted there, and readings in µg/m³ or mg/m³ are taken as stated at it (the
// Nm³ of Vietnamese stations). AtReference moves a canonical value to another reference.
type Reference struct {
	celsius int // reference temperature, whole °C
}

// Standard is the reference of canonical gas concentrations: 25 °C and 1 atm.
var Standard = Reference{celsius: 25}

// standardMolarVolume is the volume of a mole of an ideal gas at 25 °C and 1 atm as the US EPA
// and most conversion tables state it (L/mol); molarVolume in catalog.go is the same value.
const standardMolarVolume = molarVolume

// gasConstant is R in L·kPa/(mol·K); atm is 1 atm in kPa.
const (
	gasConstant = 8.314462618
	atm         = 101.325
)

// ParseReference reads a reference temperature as written in rule files: "25C", "20C", "0C"
// (also "25 °C", "293K", "298.15K").
func ParseReference(s string) (Reference, error) {
	t := strings.ToUpper(strings.NewReplacer(" ", "", "°", "").Replace(strings.TrimSpace(s)))
	var c float64
	var err error
	switch {
	case strings.HasSuffix(t, "K"):
		c, err = strconv.ParseFloat(strings.TrimSuffix(t, "K"), 64)
		c -= 273.15
	case strings.HasSuffix(t, "C"):
		c, err = strconv.ParseFloat(strings.TrimSuffix(t, "C"), 64)
	default:
		err = fmt.Errorf("no unit")
	}
	// 293 K is 19.85 °C: round to whole degrees, which is how regulations state it.
	r := Reference{celsius: int(c + 0.5)}
	if c < 0 {
		r.celsius = -int(-c + 0.5)
	}
	if err != nil || r.celsius < -50 || r.celsius > 50 {
		return Reference{}, fmt.Errorf("reference temperature %q: want e.g. 25C, 20C, 0C or 293K", s)
	}
	return r, nil
}

// Celsius returns the reference temperature in °C.
func (r Reference) Celsius() int { return r.celsius }

// String renders the reference for evidence and listings: "25 °C".
func (r Reference) String() string { return strconv.Itoa(r.celsius) + " °C" }

// MolarVolume returns the volume of a mole of an ideal gas at the reference temperature and
// 1 atm, in litres: 24.45 at 25 °C (the value of the conversion tables), R·T/p otherwise
// (24.055 at 20 °C, 22.414 at 0 °C). EU gas limits are stated at 101.3 kPa, 0.02 % below
// 1 atm: that difference is left out.
func (r Reference) MolarVolume() float64 {
	if r.celsius == Standard.celsius {
		return standardMolarVolume
	}
	return gasConstant * (273.15 + float64(r.celsius)) / atm
}

// IsGas reports whether the parameter's canonical values depend on the reference
// conditions: a gas converted between mixing ratios and mass concentrations.
func (p *Parameter) IsGas() bool { return p.MolarMass > 0 && !p.canon.liquid }

// AtReference returns the factor that moves a canonical value of the parameter (a mass
// concentration at Standard) to the same air's concentration at ref: 24.45 / V(ref) for gases
// (1.0164 at 20 °C), 1 for everything else.
func (p *Parameter) AtReference(ref Reference) float64 {
	if !p.IsGas() || ref == Standard || ref == (Reference{}) {
		return 1
	}
	return standardMolarVolume / ref.MolarVolume()
}

// ToCanonicalAt converts v, given in unit, to the parameter's canonical unit stated at ref: a
// limit of 100 ppb NO2 in a regulation at 20 °C is 191.3 µg/m³ at 20 °C. Units other than
// mixing ratios convert as ToCanonical does (a value in µg/m³ is taken as stated at ref).
func (p *Parameter) ToCanonicalAt(v float64, unit string, ref Reference) (float64, error) {
	c, err := p.ToCanonical(v, unit)
	if err != nil || !p.IsGas() {
		return c, err
	}
	if u := lookupUnitDef(unit); u != nil && u.dim == dimMixing {
		return round15(c * p.AtReference(ref)), nil
	}
	return c, nil
}
