// Package i18n holds the Vietnamese and English labels of the console and the report.
//
// Vietnamese is the default for a station whose time zone is Vietnam's (the registry's
// default, Asia/Ho_Chi_Minh), English otherwise; ?lang=vi|en overrides it.
package i18n

import "github.com/quantrac/quantrac"

// Lang is a label language.
type Lang string

// The languages.
const (
	VI Lang = "vi"
	EN Lang = "en"
)

// Parse returns the language named s ("vi" or "en").
func Parse(s string) (Lang, bool) {
	switch Lang(s) {
	case VI, EN:
		return Lang(s), true
	}
	return "", false
}

// vietnamZones are the IANA zones of Vietnam.
func vietnamZone(tz string) bool { return tz == "" || tz == "Asia/Ho_Chi_Minh" || tz == "Asia/Saigon" }

// ForStation returns the default language of a station's pages: Vietnamese when the registry
// puts it in Vietnam's time zone (or states none, the default being Vietnam's).
func ForStation(st *quantrac.Station) Lang {
	if st != nil && !vietnamZone(st.Timezone) {
		return EN
	}
	return VI
}

// ForRegistry returns the default language of pages about all stations: Vietnamese unless
// most stations are outside Vietnam's time zone.
func ForRegistry(reg *quantrac.Registry) Lang {
	vi := 0
	for _, st := range reg.Stations() {
		if ForStation(st) == VI {
			vi++
		}
	}
	if reg.Len() > 0 && 2*vi < reg.Len() {
		return EN
	}
	return VI
}

// Other returns the other language, for the language switch.
func (l Lang) Other() Lang {
	if l == VI {
		return EN
	}
	return VI
}

// T returns the label of key in l; an unknown key is returned as it is.
func (l Lang) T(key string) string {
	vi, en := text(key)
	switch {
	case vi == "":
		return key
	case l == EN:
		return en
	}
	return vi
}
