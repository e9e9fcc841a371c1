package i18n

// text returns the Vietnamese and English labels of key, or "" when there is none.
func text(key string) (vi, en string) {
	switch key {
	// common
	case "lang_name":
		return "Tiếng Việt", "English"
	case "title":
		return "Quan trắc môi trường", "Environmental monitoring"
	case "map":
		return "Bản đồ", "Map"
	case "stations":
		return "Trạm quan trắc", "Stations"
	case "station":
		return "Trạm", "Station"
	case "violations":
		return "Vượt ngưỡng", "Exceedances"
	case "reports":
		return "Báo cáo", "Reports"
	case "report":
		return "Báo cáo tháng", "Monthly report"
	case "kind":
		return "Loại", "Kind"
	case "air":
		return "Không khí", "Air"
	case "wastewater":
		return "Nước thải", "Wastewater"
	case "state":
		return "Trạng thái", "State"
	case "violation": // the map's state: a binding limit exceeded (rules/README.md, "Force and words")
		return "Vượt quy chuẩn, giới hạn cho phép", "Exceeds a standard or permit"
	case "insufficient":
		return "Thiếu số liệu", "Insufficient data"
	case "silent":
		return "Mất tín hiệu", "Silent"
	case "ok":
		return "Đạt", "OK"
	case "aqi":
		return "Chỉ số AQI", "AQI"
	case "colour_by":
		return "Tô màu theo", "Colour by"
	case "last_seen":
		return "Số liệu mới nhất", "Last reading"
	case "never":
		return "chưa có", "never"
	case "active_violations":
		return "Đang vượt ngưỡng", "Exceedances in progress"
	case "past_violations":
		return "Các lần vượt đã ghi nhận", "Recorded exceedances"
	case "none":
		return "Không có", "None"
	case "parameter":
		return "Thông số", "Parameter"
	case "regulation":
		return "Quy chuẩn", "Regulation"
	case "period":
		return "Thời gian trung bình", "Averaging period"
	case "value":
		return "Giá trị", "Value"
	case "limit":
		return "Giới hạn", "Limit"
	case "ratio":
		return "Tỷ lệ so với giới hạn", "Ratio to limit"
	case "coverage":
		return "Tỷ lệ số liệu", "Data capture"
	case "count":
		return "Số giá trị", "Readings"
	case "window":
		return "Khoảng thời gian", "Period"
	case "version":
		return "Phiên bản giới hạn", "Limit version"
	case "started":
		return "Bắt đầu", "Started"
	case "ended":
		return "Kết thúc", "Ended"
	case "evidence":
		return "Bằng chứng", "Evidence"
	case "hourly_means":
		return "Trung bình 1 giờ", "Hourly means"
	case "last_24h":
		return "24 giờ", "24 h"
	case "last_7d":
		return "7 ngày", "7 days"
	case "last_30d":
		return "30 ngày", "30 days"
	case "no_data":
		return "Không có số liệu", "No data"
	case "invalid_hour":
		return "giờ không đủ số liệu (< 75 %)", "hour below 75 % capture"
	case "maintenance":
		return "Bảo trì, hiệu chuẩn", "Maintenance and calibration"
	case "from":
		return "Từ", "From"
	case "until":
		return "Đến", "Until"
	case "reason":
		return "Lý do", "Reason"
	case "data_capture":
		return "Tỷ lệ số liệu", "Data capture"
	case "latest_values":
		return "Giá trị mới nhất", "Latest values"
	case "limits_now":
		return "Đánh giá theo quy chuẩn", "Limits now"
	case "location":
		return "Vị trí", "Location"
	case "province":
		return "Tỉnh", "Province"
	case "all_stations":
		return "Tất cả các trạm", "All stations"
	case "print":
		return "In", "Print"
	case "download_csv":
		return "Tải CSV", "Download CSV"
	case "open_report":
		return "Báo cáo tháng", "Monthly report"
	case "time":
		return "Thời gian", "Time"
	case "filter":
		return "Lọc", "Filter"
	case "active_only":
		return "Chỉ đang vượt ngưỡng", "In progress only"
	case "up":
		return "Hoạt động", "Up"
	case "state_exceeded":
		return "Vượt", "Exceeded"
	case "state_ok":
		return "Đạt", "Within"
	case "state_insufficient_data":
		return "Thiếu số liệu", "Insufficient data"
	case "state_no_data":
		return "Chưa có số liệu", "No data"
	case "state_not_in_force":
		return "Chưa có hiệu lực", "Not in force"
	case "state_unknown":
		return "Đang khôi phục", "Being restored"
	// report
	case "report_title":
		return "Báo cáo kết quả quan trắc tự động, liên tục", "Automatic continuous monitoring report"
	case "month":
		return "Tháng", "Month"
	case "generated":
		return "Lập lúc", "Generated"
	case "provisional":
		return "Tháng chưa kết thúc: số liệu tạm tính đến", "Month in progress: figures up to"
	case "province_summary":
		return "Chỉ tiêu của tỉnh", "Province indicators"
	case "ww_indicator":
		return "Trạm nước thải đạt quy chuẩn và giấy phép cả tháng (trên số liệu hợp lệ)", "Wastewater stations within their regulations and permits all month (on valid data)"
	case "air_indicator":
		return "Trạm không khí đạt QCVN 05:2023", "Air stations within QCVN 05:2023"
	case "network_capture":
		return "Tỷ lệ số liệu hợp lệ của mạng lưới (giờ)", "Network data capture (hours)"
	case "met":
		return "Đạt", "Met"
	case "not_met":
		return "Không đạt (vượt quy chuẩn hoặc giới hạn cho phép)", "Not met (a standard or permitted limit exceeded)"
	case "insufficient_data":
		return "Thiếu số liệu", "Insufficient data"
	case "hours":
		return "Giờ", "Hours"
	case "days":
		return "Ngày", "Days"
	case "expected":
		return "Phải có", "Expected"
	case "valid":
		return "Hợp lệ", "Valid"
	case "excluded":
		return "Loại trừ (bảo trì, hiệu chuẩn)", "Excluded (maintenance, calibration)"
	case "capture_pct":
		return "Tỷ lệ (%)", "Capture (%)"
	case "readings":
		return "Giá trị đo", "Readings"
	case "flagged_other":
		return "Lỗi thiết bị, mã khác", "Device fault, other codes"
	case "exceedances":
		return "Vượt quy chuẩn, giới hạn cho phép", "Exceedances of standards and permitted limits"
	case "violations_started":
		return "Số lần vượt bắt đầu trong tháng", "Exceedances started in the month"
	case "in_force_at_start":
		return "Đang vượt đầu tháng", "In progress at the month's start"
	case "allowed_per_year":
		return "Số lần cho phép/năm", "Allowed per year"
	case "year_to_date":
		return "Số lần vượt từ đầu năm", "Exceedances this year"
	case "data_layer":
		return "Lớp số liệu", "Data layer"
	case "definitions":
		return "Định nghĩa", "Definitions"
	case "reproduce":
		return "Tính lại bằng InfluxQL", "Reproduce with InfluxQL"
	case "compliant":
		return "Kết luận", "Verdict"
	case "no_violations_month":
		return "Không có lần vượt nào trong tháng", "No exceedance in the month"
	case "no_parameters":
		return "Không nhận được số liệu nào trong tháng", "No reading received in the month"
	case "unknown_station":
		return "Không có trạm này", "No such station"
	case "back":
		return "Quay lại", "Back"
	}
	if vi, en := qcText(key); vi != "" || en != "" {
		return vi, en
	}
	if vi, en := forceText(key); vi != "" || en != "" {
		return vi, en
	}
	return reportQCText(key)
}
