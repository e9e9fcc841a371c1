package param

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrUnknownUnit is wrapped by the errors of ToCanonical and FromCanonical when the unit is not
// known, or does not apply to the parameter (mg/L for SO2, ppm for PM2.5).
var ErrUnknownUnit = errors.New("unknown unit")

// dimension is what a unit measures. Units of one dimension convert by scale and offset;
// mixing ratios convert to mass concentrations through the molar mass.
type dimension uint8

const (
	dimNone        dimension = iota // pH, "-"
	dimMassConc                     // base µg/m³ (mg/L = 10⁶ µg/m³)
	dimMixing                       // base ppb
	dimTemp                         // base °C
	dimFlow                         // base m³/h
	dimPressure                     // base kPa
	dimPercent                      // base %
	dimCount                        // base MPN/100mL
	dimColor                        // base Pt-Co
	dimTurbidity                    // base NTU
	dimSpeed                        // base m/s
	dimAngle                        // base degree
	dimConductance                  // base µS/cm
)

// unitDef is one known unit: base = value × scale + offset.
type unitDef struct {
	dim    dimension
	scale  float64
	offset float64
	liquid bool // a per-litre concentration, which does not apply to air parameters
}

// unitTable lists every accepted unit spelling, normalised: lower case, no spaces, µ/μ → u,
// ³ → 3, ° and º → o. "Nm³" is the normal cubic metre of QCVN 05:2023 (25 °C, 1 atm), the
// same conditions as the ppb conversion, so µg/Nm³ = µg/m³.
func unitTable() map[string]*unitDef {
	t := map[string]*unitDef{}
	add := func(d dimension, scale, offset float64, names ...string) {
		u := &unitDef{dim: d, scale: scale, offset: offset}
		for _, n := range names {
			t[n] = u
		}
	}
	add(dimNone, 1, 0, "ph", "-", "phunits", "phunit")
	add(dimMassConc, 1, 0, "ug/m3", "ug/nm3", "ug/scm")
	add(dimMassConc, 1e-3, 0, "ng/m3", "ng/nm3")
	add(dimMassConc, 1e3, 0, "mg/m3", "mg/nm3")
	add(dimMassConc, 1e6, 0, "g/m3", "g/nm3")
	liquid := func(scale float64, names ...string) {
		u := &unitDef{dim: dimMassConc, scale: scale, liquid: true}
		for _, n := range names {
			t[n] = u
		}
	}
	liquid(1, "ng/l")
	liquid(1e3, "ug/l", "ug/dm3")
	liquid(1e6, "mg/l", "mg/dm3")
	liquid(1e9, "g/l")
	add(dimMixing, 1, 0, "ppb", "ppbv", "nmol/mol")
	add(dimMixing, 1e3, 0, "ppm", "ppmv", "umol/mol")
	add(dimMixing, 1e-3, 0, "ppt", "pptv")
	add(dimTemp, 1, 0, "oc", "c", "degc", "cel", "celsius", "độc")
	add(dimTemp, 5.0/9, -32*5.0/9, "of", "f", "degf", "fahrenheit")
	add(dimTemp, 1, -273.15, "k", "kelvin")
	add(dimFlow, 1, 0, "m3/h", "m3/hr", "m3/giờ", "m3/gio")
	add(dimFlow, 3600, 0, "m3/s")
	add(dimFlow, 60, 0, "m3/min", "m3/phút")
	add(dimFlow, 3.6, 0, "l/s")
	add(dimFlow, 0.06, 0, "l/min")
	add(dimFlow, 1.0/24, 0, "m3/d", "m3/day", "m3/24h", "m3/ngày", "m3/ngay", "m3/ngđ", "m3/ngàyđêm")
	add(dimPressure, 1, 0, "kpa")
	add(dimPressure, 1e-3, 0, "pa")
	add(dimPressure, 0.1, 0, "hpa", "mbar")
	add(dimPressure, 100, 0, "bar")
	add(dimPressure, 101.325/760, 0, "mmhg")
	add(dimPressure, 101.325, 0, "atm")
	add(dimPercent, 1, 0, "%", "%v", "%vol", "vol%", "%rh", "rh%")
	add(dimCount, 1, 0, "mpn/100ml")
	add(dimColor, 1, 0, "pt-co", "ptco", "pt/co", "pcu", "hazen", "mgpt/l")
	add(dimTurbidity, 1, 0, "ntu")
	add(dimSpeed, 1, 0, "m/s")
	add(dimSpeed, 1/3.6, 0, "km/h")
	add(dimAngle, 1, 0, "o", "deg", "degree", "degrees")
	add(dimConductance, 1, 0, "us/cm")
	add(dimConductance, 1e3, 0, "ms/cm")
	add(dimConductance, 10, 0, "ms/m")
	return t
}

// lookupUnitDef returns the definition of a unit spelling, or nil.
func lookupUnitDef(unit string) *unitDef {
	if u, ok := cat.units[unit]; ok {
		return u
	}
	var buf [48]byte
	key, ok := normUnit(buf[:0], strings.TrimSpace(unit))
	if !ok {
		return nil
	}
	return cat.units[string(key)]
}

// normUnit appends the normalised spelling of a unit to dst without growing it: ASCII lower
// case, spaces dropped, micro signs to u, superscripts to digits, degree signs to o.
func normUnit(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch r {
		case ' ', '\t', '\u00a0':
			continue
		case 'µ', 'μ':
			r = 'u'
		case '³':
			r = '3'
		case '²':
			r = '2'
		case '°', 'º', '˚':
			r = 'o'
		case '℃':
			if len(dst)+2 > cap(dst) {
				return dst, false
			}
			dst = append(dst, 'o', 'c')
			continue
		case '℉':
			if len(dst)+2 > cap(dst) {
				return dst, false
			}
			dst = append(dst, 'o', 'f')
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		} else if r >= utf8.RuneSelf {
			r = unicode.ToLower(r)
		}
		if cap(dst)-len(dst) < utf8.RuneLen(r) {
			return dst, false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst, true
}

// ToCanonical converts v, given in unit, to the parameter's canonical unit. An empty unit or the
// canonical unit itself returns v unchanged. Gases convert between ppb/ppm and µg/m³ or mg/m³
// at 25 °C and 1 atm (µg/m³ = ppb × M / 24.45); for water parameters ppm means mg/L. An unknown
// unit, or one that does not apply to the parameter, returns an error wrapping ErrUnknownUnit.
func (p *Parameter) ToCanonical(v float64, unit string) (float64, error) {
	u, f, same, err := p.conversion(unit)
	if same || err != nil {
		return v, err
	}
	return round15((v*u.scale+u.offset)*f/p.canon.scale - p.canon.offset/p.canon.scale), nil
}

// FromCanonical converts v, in the parameter's canonical unit, to unit: the inverse of
// ToCanonical (the US AQI takes gases in ppb and ppm).
func (p *Parameter) FromCanonical(v float64, unit string) (float64, error) {
	u, f, same, err := p.conversion(unit)
	if same || err != nil {
		return v, err
	}
	return round15(((v*p.canon.scale+p.canon.offset)/f - u.offset) / u.scale), nil
}

// conversion finds unit and the factor between it and the canonical unit; same is true when
// no conversion is needed.
func (p *Parameter) conversion(unit string) (u *unitDef, f float64, same bool, err error) {
	if unit == "" || unit == p.Unit {
		return nil, 1, true, nil
	}
	if u = lookupUnitDef(unit); u == nil {
		return nil, 0, false, fmt.Errorf("%w %q", ErrUnknownUnit, strings.Clone(unit))
	}
	if u == p.canon {
		return u, 1, true, nil
	}
	f, ok := p.factor(u)
	if !ok {
		return nil, 0, false, p.notApplicable(unit)
	}
	return u, f, false, nil
}

// round15 rounds a converted value to about 15 significant digits (at least 14), far below
// any instrument's resolution, so that conversions give the value a person would write
// (0.0617 mg/m³ is 61.7 µg/m³, not 61.699999999999996) and FromCanonical(ToCanonical(v))
// returns v.
func round15(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	_, e2 := math.Frexp(x)
	// |x| < 2**e2, so |x| < 10**ceil(e2·log10 2): keeping k decimals leaves |x|·10**k ≤ 10**15,
	// an integer float64 holds exactly.
	k := 15 - int(math.Ceil(float64(e2)*log10of2))
	switch {
	case k >= 0 && k <= 22: // powers of ten up to 1e22 are exact in float64
		p := math.Pow10(k)
		return math.Round(x*p) / p
	case k < 0 && k >= -22:
		p := math.Pow10(-k)
		return math.Round(x/p) * p
	}
	return x
}

// log10of2 is log₁₀ 2.
const log10of2 = 0.30102999566398119521

// factor returns the multiplier from the base of u's dimension to the base of the parameter's
// canonical dimension, and false when the two cannot be converted.
func (p *Parameter) factor(u *unitDef) (float64, bool) {
	c := p.canon
	switch {
	case u.dim == c.dim && u.liquid && !c.liquid:
		return 0, false // mg/L for a gas
	case u.dim == c.dim:
		return 1, true
	case u.dim == dimMixing && c.dim == dimMassConc && p.MolarMass > 0:
		return p.MolarMass / molarVolume, true // ppb -> µg/m³
	case u.dim == dimMixing && c.dim == dimMassConc && c.liquid:
		return 1e3, true // water: ppb = µg/L = 10³ µg/m³
	}
	return 0, false
}

func (p *Parameter) notApplicable(unit string) error {
	return fmt.Errorf("%w %q for %s (canonical unit %s)", ErrUnknownUnit, strings.Clone(unit), p.ID, p.Unit)
}
