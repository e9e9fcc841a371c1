package aqi

// Scheme names an index: Vietnam's VN_AQI or the US EPA AQI. Its value is the `scheme` tag and
// label (README.md, "InfluxDB schema" and "Metrics"), and the value of a station's `aqi` list
// in the registry.
type Scheme string

// The supported schemes.
const (
	VN Scheme = "vn" // VN_AQI, Decision 1459/QĐ-TCMT (2019)
	US Scheme = "us" // US EPA AQI, 40 CFR 58 Appendix G (PM2.5 revision of 2024)
)

// Valid reports whether s is a supported scheme.
func (s Scheme) Valid() bool { return s == VN || s == US }

// Category is one of the six bands of the index. Both schemes use the same bands (0–50, 51–100,
// 101–150, 151–200, 201–300, 301–500) and the same colours: Decision 1459 Table 1 prints the
// RGB triples of the US EPA colours.
type Category struct {
	Index       int    // 1 (Good) … 6 (Hazardous)
	Name        string // US EPA descriptor (40 CFR 58 App. G, Table 2)
	NameVI      string // Vietnamese name (Decision 1459, Table 1)
	Color       string // hex colour, #RRGGBB
	RGB         [3]uint8
	ColorName   string // English colour name
	ColorNameVI string // Vietnamese colour name (Decision 1459, Table 1)
	Min, Max    int    // index range of the band; Max of Hazardous is 500 though values may exceed it (US)
}

// categories returns the six bands in order. Sources: Decision 1459/QĐ-TCMT Table 1 (Vietnamese
// names, colours, RGB); 40 CFR 58 Appendix G Table 2 and the TAD (English descriptors, same RGB).
func categories() [6]Category {
	return [6]Category{
		{1, "Good", "Tốt", "#00E400", [3]uint8{0, 228, 0}, "green", "Xanh", 0, 50},
		{2, "Moderate", "Trung bình", "#FFFF00", [3]uint8{255, 255, 0}, "yellow", "Vàng", 51, 100},
		{3, "Unhealthy for Sensitive Groups", "Kém", "#FF7E00", [3]uint8{255, 126, 0}, "orange", "Da cam", 101, 150},
		{4, "Unhealthy", "Xấu", "#FF0000", [3]uint8{255, 0, 0}, "red", "Đỏ", 151, 200},
		{5, "Very Unhealthy", "Rất xấu", "#8F3F97", [3]uint8{143, 63, 151}, "purple", "Tím", 201, 300},
		{6, "Hazardous", "Nguy hại", "#7E0023", [3]uint8{126, 0, 35}, "maroon", "Nâu", 301, 500},
	}
}

// CategoryOf returns the band of an index value. Values below 0 are Good and values above 500
// (US extrapolation) are Hazardous.
func CategoryOf(aqi int) Category {
	c := categories()
	for _, cat := range c[:5] {
		if aqi <= cat.Max {
			return cat
		}
	}
	return c[5]
}

// Categories returns the six bands in order, Good first.
func Categories() []Category {
	c := categories()
	return c[:]
}
