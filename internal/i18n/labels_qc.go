package i18n

// qcText returns the labels of the data-quality actions (spans, approvals), or "".
func qcText(key string) (vi, en string) {
	switch key {
	case "qc_spans":
		return "Đánh giá chất lượng số liệu", "Data quality"
	case "qc_spans_note":
		return "Các khoảng thời gian giao với khoảng đang xem, mới nhất trước; khoảng đã thu hồi vẫn được lưu lại.",
			"Spans overlapping the shown range, newest first; revoked spans are kept."
	case "qc_shaded_auto":
		return "Không hợp lệ (kiểm tra tự động)", "Invalid (automatic check)"
	case "qc_shaded_user":
		return "Không hợp lệ (cán bộ kiểm tra)", "Invalid (inspector)"
	case "qc_source":
		return "Nguồn", "Source"
	case "qc_source_auto":
		return "Tự động", "Automatic"
	case "qc_source_user":
		return "Cán bộ kiểm tra", "Inspector"
	case "qc_action":
		return "Thao tác", "Action"
	case "qc_invalidate":
		return "Đánh dấu không hợp lệ", "Invalidate"
	case "qc_validate":
		return "Xác nhận hợp lệ", "Validate"
	case "qc_to":
		return "Đến", "To"
	case "qc_all_parameters":
		return "Tất cả chỉ tiêu", "All parameters"
	case "qc_by":
		return "Người tạo", "Created by"
	case "qc_created":
		return "Tạo lúc", "Created"
	case "qc_revoked":
		return "Thu hồi", "Revoked"
	case "qc_in_force":
		return "Đang áp dụng", "In force"
	case "qc_revoke":
		return "Thu hồi", "Revoke"
	case "qc_revoke_confirm":
		return "Thu hồi khoảng này? Các kết quả đánh giá liên quan sẽ được tính lại.",
			"Revoke this span? The verdicts it touches will be judged again."
	case "qc_form":
		return "Đánh dấu số liệu", "Mark readings"
	case "qc_form_help":
		return "Kéo chuột trên biểu đồ để chọn khoảng thời gian, hoặc nhập trực tiếp (giờ của trạm)",
			"Drag across a chart to choose the span, or type it (the station's time)"
	case "qc_reason_example":
		return "ví dụ: thiết bị phân tích lỗi", "e.g. analyser fault"
	case "qc_save":
		return "Lưu", "Save"
	case "qc_failed":
		return "Không lưu được", "Not saved"
	case "approve_month":
		return "Duyệt số liệu tháng này", "Approve this month"
	case "approve_confirm":
		return "Duyệt số liệu tháng này của trạm? Việc duyệt không khóa số liệu.",
			"Approve this month's data of the station? Approval locks nothing."
	}
	return "", ""
}
