package param

// molarVolume is the volume in litres of one mole of an ideal gas at 25 °C and 1 atm, the
// reference conditions of QCVN 05:2023/BTNMT ("Nm³" at 25 °C and 760 mmHg) and of the US EPA:
// µg/m³ = ppb × M / molarVolume.
const molarVolume = 24.45

// Canonical units.
const (
	unitAirMass   = "µg/m³"
	unitWaterMass = "mg/L"
	unitPH        = "pH"
	unitCelsius   = "°C"
	unitFlow      = "m³/h"
	unitCount     = "MPN/100mL"
	unitColor     = "Pt-Co"
	unitPercent   = "%"
	unitPressure  = "kPa"
	unitTurbidity = "NTU"
	unitSpeed     = "m/s"
	unitAngle     = "°"
	unitCond      = "µS/cm"
)

// entry is one row of the catalog table: a parameter and the names it is known by besides its
// id. Aliases are matched case-insensitively.
type entry struct {
	p       Parameter
	aliases []string
}

// table returns the catalog rows in their stable order: ambient air and stack first, then
// water, then meteorology. Ranges are plausible physical ranges in the canonical unit — wide
// enough for stack and raw-wastewater analysers, narrow enough to catch garbage — not
// regulatory limits. Circular 10/2021/TT-BTNMT symbols (Bảng 34, Phụ lục 15) are listed first
// among the aliases.
func table() []entry {
	return []entry{
		// Particles and gases, all in µg/m³ (mg/m³ and ppb/ppm are converted).
		{Parameter{ID: "pm25", Name: "Particulate matter PM2.5", Unit: unitAirMass, Max: 10_000},
			[]string{"PM2,5", "PM2.5", "PM2_5", "PM25", "PM 2.5", "PM 2,5", "Bụi PM2,5", "Bụi PM2.5"}},
		{Parameter{ID: "pm10", Name: "Particulate matter PM10", Unit: unitAirMass, Max: 10_000},
			[]string{"PM10", "PM 10", "Bụi PM10"}},
		{Parameter{ID: "pm1", Name: "Particulate matter PM1", Unit: unitAirMass, Max: 10_000},
			[]string{"PM1", "PM1.0", "PM1,0", "PM 1"}},
		{Parameter{ID: "tsp", Name: "Total suspended particulates", Unit: unitAirMass, Max: 20_000},
			[]string{"TSP", "Tổng bụi lơ lửng", "Bụi lơ lửng", "Bụi TSP"}},
		{Parameter{ID: "dust", Name: "Total dust (stack particulate matter)", Unit: unitAirMass, Max: 10_000_000},
			[]string{"PM", "Bụi tổng", "Dust"}},
		{Parameter{ID: "so2", Name: "Sulphur dioxide", Unit: unitAirMass, Max: 10_000_000, MolarMass: 64.07},
			[]string{"SO2", "SO₂", "Lưu huỳnh dioxit"}},
		{Parameter{ID: "no2", Name: "Nitrogen dioxide", Unit: unitAirMass, Max: 10_000_000, MolarMass: 46.01},
			[]string{"NO2", "NO₂", "Nitơ dioxit"}},
		{Parameter{ID: "no", Name: "Nitric oxide", Unit: unitAirMass, Max: 10_000_000, MolarMass: 30.01},
			[]string{"NO", "Nitơ monoxit"}},
		{Parameter{ID: "nox", Name: "Nitrogen oxides (as NO2)", Unit: unitAirMass, Max: 10_000_000, MolarMass: 46.01},
			[]string{"NOx", "NOₓ", "NOX"}},
		{Parameter{ID: "co", Name: "Carbon monoxide", Unit: unitAirMass, Max: 20_000_000, MolarMass: 28.01},
			[]string{"CO", "Cacbon monoxit", "Carbon monoxide"}},
		{Parameter{ID: "o3", Name: "Ozone", Unit: unitAirMass, Max: 100_000, MolarMass: 48.00},
			[]string{"O3", "O₃", "Ozone", "Ozon"}},
		{Parameter{ID: "nh3", Name: "Ammonia", Unit: unitAirMass, Max: 10_000_000, MolarMass: 17.03},
			[]string{"NH3", "NH₃", "Amoniac"}},
		{Parameter{ID: "h2s", Name: "Hydrogen sulphide", Unit: unitAirMass, Max: 10_000_000, MolarMass: 34.08},
			[]string{"H2S", "H₂S", "Hydro sunfua"}},
		{Parameter{ID: "benzene", Name: "Benzene", Unit: unitAirMass, Max: 10_000_000, MolarMass: 78.11},
			[]string{"C6H6", "Benzen"}},
		{Parameter{ID: "hcl", Name: "Hydrogen chloride", Unit: unitAirMass, Max: 10_000_000, MolarMass: 36.46},
			[]string{"HCl"}},
		{Parameter{ID: "hf", Name: "Hydrogen fluoride", Unit: unitAirMass, Max: 10_000_000, MolarMass: 20.01},
			[]string{"HF"}},
		{Parameter{ID: "hg", Name: "Mercury vapour", Unit: unitAirMass, Max: 100_000, MolarMass: 200.59},
			[]string{"VHg", "Hg", "Hơi thủy ngân", "Hơi thuỷ ngân"}},
		{Parameter{ID: "pb", Name: "Lead", Unit: unitAirMass, Max: 10_000},
			[]string{"Pb", "Chì"}},
		{Parameter{ID: "o2", Name: "Oxygen", Unit: unitPercent, Max: 100},
			[]string{"O2", "O₂", "Oxy"}},
		// Water.
		{Parameter{ID: "flow", Name: "Flow", Unit: unitFlow, Max: 1_000_000},
			[]string{"Flow", "Lưu lượng", "Luu luong", "Flow rate"}},
		{Parameter{ID: "temp", Name: "Temperature", Unit: unitCelsius, Min: -40, Max: 100},
			[]string{"Temp", "Nhiệt độ", "Nhiet do", "Temperature"}},
		{Parameter{ID: "color", Name: "Colour", Unit: unitColor, Max: 100_000},
			[]string{"Color", "Colour", "Độ màu", "Do mau"}},
		{Parameter{ID: "ph", Name: "pH", Unit: unitPH, Max: 14},
			[]string{"pH", "Độ pH"}},
		{Parameter{ID: "tss", Name: "Total suspended solids", Unit: unitWaterMass, Max: 100_000},
			[]string{"TSS", "SS", "Tổng chất rắn lơ lửng", "Chất rắn lơ lửng"}},
		{Parameter{ID: "cod", Name: "Chemical oxygen demand", Unit: unitWaterMass, Max: 100_000},
			[]string{"COD", "Nhu cầu oxy hóa học", "Nhu cầu oxy hoá học"}},
		{Parameter{ID: "bod5", Name: "Biochemical oxygen demand (5 days)", Unit: unitWaterMass, Max: 100_000},
			[]string{"BOD5", "BOD", "BOD₅", "BOD5 (20°C)", "Nhu cầu oxy sinh hóa"}},
		{Parameter{ID: "nh4_n", Name: "Ammonium (as N)", Unit: unitWaterMass, Max: 10_000},
			[]string{"NH4", "NH4+", "NH4-N", "N-NH4", "NH4_N", "NH₄⁺", "N-NH4+", "Amoni", "Amoni (tính theo N)"}},
		{Parameter{ID: "tn", Name: "Total nitrogen", Unit: unitWaterMass, Max: 10_000},
			[]string{"TN", "T-N", "Tổng Nitơ", "Tổng N"}},
		{Parameter{ID: "tp", Name: "Total phosphorus", Unit: unitWaterMass, Max: 10_000},
			[]string{"TP", "T-P", "Tổng Phosphor", "Tổng phốt pho", "Tổng P"}},
		{Parameter{ID: "toc", Name: "Total organic carbon", Unit: unitWaterMass, Max: 100_000},
			[]string{"TOC", "Tổng cacbon hữu cơ"}},
		{Parameter{ID: "cl", Name: "Residual chlorine", Unit: unitWaterMass, Max: 1_000},
			[]string{"Cl", "Cl2", "Clo dư", "Clo"}},
		{Parameter{ID: "do", Name: "Dissolved oxygen", Unit: unitWaterMass, Max: 50},
			[]string{"DO", "Oxy hòa tan", "Oxy hoà tan"}},
		{Parameter{ID: "no3_n", Name: "Nitrate (as N)", Unit: unitWaterMass, Max: 10_000},
			[]string{"NO3", "NO3-", "NO3-N", "N-NO3", "Nitrat"}},
		{Parameter{ID: "po4_p", Name: "Phosphate (as P)", Unit: unitWaterMass, Max: 10_000},
			[]string{"PO4", "PO43-", "PO4-P", "P-PO4", "Phosphat", "Phốt phát"}},
		{Parameter{ID: "oil_grease", Name: "Mineral oil and grease", Unit: unitWaterMass, Max: 100_000},
			[]string{"Oil", "Oil&Grease", "Oil and grease", "Dầu mỡ khoáng", "Dau mo khoang"}},
		{Parameter{ID: "coliform", Name: "Total coliforms", Unit: unitCount, Max: 1e12},
			[]string{"Coliform", "Coliforms", "Tổng Coliform", "Tổng coliforms"}},
		// Water quality parameters of QCVN 40:2011 and QCVN 14:2008 Table 1 (laboratory or
		// automatic analysers). Lead and mercury in water have their own ids: pb and hg are the
		// air parameters (µg/m³).
		{Parameter{ID: "tds", Name: "Total dissolved solids", Unit: unitWaterMass, Max: 1_000_000},
			[]string{"TDS", "Tổng chất rắn hòa tan", "Tổng chất rắn hoà tan"}},
		{Parameter{ID: "sulfide", Name: "Sulfide", Unit: unitWaterMass, Max: 10_000},
			[]string{"S2-", "Sunfua", "Sulfua", "Sulphide", "sulfide_as_h2s"}},
		{Parameter{ID: "oil_veg", Name: "Animal and vegetable oil and grease", Unit: unitWaterMass, Max: 100_000},
			[]string{"Dầu mỡ động thực vật", "Dau mo dong thuc vat", "animal_vegetable_oil_grease"}},
		{Parameter{ID: "surfactants", Name: "Total surfactants", Unit: unitWaterMass, Max: 10_000},
			[]string{"Tổng các chất hoạt động bề mặt", "Chất hoạt động bề mặt", "surfactants_total"}},
		{Parameter{ID: "as", Name: "Arsenic (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Asen", "Arsenic"}},
		{Parameter{ID: "hg_water", Name: "Mercury (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Hg (nước)", "Thủy ngân", "Thuỷ ngân"}},
		{Parameter{ID: "pb_water", Name: "Lead (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Pb (nước)", "Chì (nước)"}},
		{Parameter{ID: "cd", Name: "Cadmium (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Cadimi", "Cadmium"}},
		{Parameter{ID: "cr_vi", Name: "Chromium(VI) (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Cr6+", "Cr(VI)", "Crom VI", "Crom (VI)"}},
		{Parameter{ID: "cr_iii", Name: "Chromium(III) (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Cr3+", "Cr(III)", "Crom III", "Crom (III)"}},
		{Parameter{ID: "cu", Name: "Copper (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Đồng", "Copper"}},
		{Parameter{ID: "zn", Name: "Zinc (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Kẽm", "Zinc"}},
		{Parameter{ID: "ni", Name: "Nickel (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Niken", "Nickel"}},
		{Parameter{ID: "mn", Name: "Manganese (water)", Unit: unitWaterMass, Max: 1_000},
			[]string{"Mangan", "Manganese"}},
		{Parameter{ID: "fe", Name: "Iron (water)", Unit: unitWaterMass, Max: 10_000},
			[]string{"Sắt", "Iron"}},
		{Parameter{ID: "cn", Name: "Total cyanide", Unit: unitWaterMass, Max: 1_000},
			[]string{"CN-", "Tổng xianua", "Xianua", "Xyanua", "Cyanide", "cyanide_total"}},
		{Parameter{ID: "phenol", Name: "Total phenols", Unit: unitWaterMass, Max: 10_000},
			[]string{"Tổng phenol", "phenol_total"}},
		{Parameter{ID: "fluoride", Name: "Fluoride", Unit: unitWaterMass, Max: 10_000},
			[]string{"F-", "Florua", "Fluorua"}},
		{Parameter{ID: "chloride", Name: "Chloride", Unit: unitWaterMass, Max: 100_000},
			[]string{"Cl-", "Clorua"}},
		{Parameter{ID: "turbidity", Name: "Turbidity", Unit: unitTurbidity, Max: 100_000},
			[]string{"Turbidity", "Độ đục", "TUR"}},
		{Parameter{ID: "ec", Name: "Electrical conductivity", Unit: unitCond, Max: 1_000_000},
			[]string{"EC", "Conductivity", "Độ dẫn điện"}},
		// Meteorology and stack conditions.
		{Parameter{ID: "rh", Name: "Relative humidity", Unit: unitPercent, Max: 100},
			[]string{"RH", "Humidity", "Độ ẩm"}},
		{Parameter{ID: "pressure", Name: "Pressure", Unit: unitPressure, Min: -200, Max: 10_000},
			[]string{"P", "Áp suất", "Pressure"}},
		{Parameter{ID: "wind_speed", Name: "Wind speed", Unit: unitSpeed, Max: 150},
			[]string{"WS", "Wind speed", "Tốc độ gió"}},
		{Parameter{ID: "wind_dir", Name: "Wind direction", Unit: unitAngle, Max: 360},
			[]string{"WD", "Wind direction", "Hướng gió"}},
	}
}
