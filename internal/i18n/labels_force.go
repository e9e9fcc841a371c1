package i18n

import "github.com/quantrac/quantrac/rules"

// forceText returns the labels of a verdict's words by force (rules/README.md, "Force and
// words"): an exceedance of a binding limit, of the station's permit, or of a reference.
func forceText(key string) (vi, en string) {
	switch key {
	case "exceeds_standard":
		return "Vượt quy chuẩn", "Exceeds the standard"
	case "exceeds_permit":
		return "Vượt giới hạn cho phép", "Exceeds the permitted limit"
	case "above_reference":
		return "Vượt ngưỡng tham chiếu", "Above the reference level"
	case "state_reference":
		return "Vượt ngưỡng tham chiếu", "Reference level passed"
	case "force":
		return "Hiệu lực", "Force"
	case "force_binding":
		return "Bắt buộc", "Binding"
	case "force_reference":
		return "Tham chiếu", "Reference"
	case "binding_limits":
		return "Quy chuẩn và giới hạn cho phép (dùng để kết luận)", "Standards and permitted limits (used for the conclusion)"
	case "reference_limits":
		return "Ngưỡng tham chiếu (không dùng để kết luận)", "Reference levels (not used for the conclusion)"
	case "reference_note":
		return "Ngưỡng tham chiếu (như WHO) không phải quy chuẩn: vượt ngưỡng tham chiếu không làm trạm không đạt.",
			"A reference level (such as WHO's) is not a standard: passing it does not make a station fail."
	case "words":
		return "Đánh giá", "Finding"
	case "active_references":
		return "Đang vượt ngưỡng tham chiếu", "Reference levels passed now"
	}
	return "", ""
}

// Words are the words of an exceedance of a limit of regulation with force (rules.ForceBinding
// or rules.ForceReference): "Vượt quy chuẩn", "Vượt giới hạn cho phép" for the station's
// permit, or "Vượt ngưỡng tham chiếu" followed by the regulation, so that nobody takes a
// reference for a standard. An empty force is taken as binding.
func (l Lang) Words(force, regulation string) string {
	switch {
	case force == rules.ForceReference:
		return l.T("above_reference") + " " + regulation
	case regulation == rules.PermitRegulation:
		return l.T("exceeds_permit")
	}
	return l.T("exceeds_standard")
}
