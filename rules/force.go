package rules

import "github.com/quantrac/quantrac"

// The force of a regulation or a limit, as its file states it, and of a limit for a station.
// The words of a verdict follow from it (rules/README.md, "Force and words"): a binding limit
// is exceeded ("vượt quy chuẩn"; a permit's: "vượt giới hạn cho phép"), a reference only
// passed ("vượt ngưỡng tham chiếu"), and only binding limits enter a station's compliance
// conclusion.
const (
	ForceBinding   = "binding"   // a national standard, an EU limit value, a US NAAQS, a permit
	ForceGuideline = "guideline" // WHO guidelines; EU target values and information thresholds
	// ForceReference is a limit that does not bind the station: a guideline, or a binding
	// regulation of another country than the station's.
	ForceReference = "reference"
)

// ForceFor returns limit l's force for station st: ForceBinding or ForceReference. A
// station's permit always binds it; a binding regulation binds the stations of its own
// country only.
func (r *Regulation) ForceFor(l *Limit, st *quantrac.Station) string {
	return forceFor(r, l.Force, st)
}

func (r *rule) forceFor(st *quantrac.Station) string { return forceFor(r.reg, r.force, st) }

func forceFor(reg *Regulation, limitForce string, st *quantrac.Station) string {
	if reg.ID == PermitRegulation || (limitForce == ForceBinding && reg.Country == st.Country) {
		return ForceBinding
	}
	return ForceReference
}
