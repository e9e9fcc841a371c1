package i18n

// reportQCText returns the labels of the report's data-quality sections (approvals, spans,
// invalid readings), or "" when key is none of them.
func reportQCText(key string) (vi, en string) {
	switch key {
	case "approved_by":
		return "Duyệt bởi", "Approved by"
	case "at":
		return "lúc", "at"
	case "by":
		return "bởi", "by"
	case "not_approved":
		return "Chưa duyệt", "Not approved"
	case "approval_withdrawn":
		return "đã rút duyệt", "withdrawn"
	case "spans_after_approval":
		return "Khoảng kiểm tra chất lượng tạo hoặc thu hồi sau khi duyệt", "Spans created or revoked after approval"
	case "readings_after_approval_unknown":
		return "Giá trị đo không mang thời điểm nhận trong InfluxDB: báo cáo không thể cho biết giá trị nào đến hoặc thay đổi sau khi duyệt, chỉ cho biết các khoảng kiểm tra chất lượng.",
			"Readings carry no arrival time in InfluxDB: the report cannot tell which readings arrived or changed after approval, only which spans did."
	case "invalid_auto":
		return "Bị loại (kiểm tra tự động)", "Invalidated (automatic check)"
	case "invalid_user":
		return "Bị loại (cán bộ kiểm tra)", "Invalidated (inspector)"
	case "qc_spans":
		return "Khoảng kiểm tra chất lượng số liệu", "Data-quality spans"
	case "span_from":
		return "Từ", "From"
	case "span_to":
		return "Đến", "To"
	case "qc_action":
		return "Thao tác", "Action"
	case "qc_invalidate":
		return "Loại bỏ (không hợp lệ)", "Invalidate"
	case "qc_validate":
		return "Xác nhận hợp lệ", "Validate"
	case "qc_reason":
		return "Lý do", "Reason"
	case "qc_user":
		return "Người thực hiện", "User"
	case "qc_created":
		return "Tạo lúc", "Created"
	case "qc_revoked":
		return "Thu hồi", "Revoked"
	case "qc_source_auto":
		return "tự động", "automatic"
	case "qc_source_user":
		return "cán bộ kiểm tra", "inspector"
	case "after_approval":
		return "sau khi duyệt", "after approval"
	case "no_qc_spans_month":
		return "Không có khoảng kiểm tra chất lượng nào trong tháng", "No data-quality span in the month"
	}
	return "", ""
}
