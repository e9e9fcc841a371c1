package tt10dir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
)

// Layout is how files are arranged under the output directory.
type Layout string

// The layouts.
const (
	Dated Layout = "dated" // DIR/<Station>/yyyy/MM/dd/<file>
	Flat  Layout = "flat"  // DIR/<file>
)

// ParseLayout returns the layout named s.
func ParseLayout(s string) (Layout, error) {
	switch Layout(s) {
	case Dated, Flat:
		return Layout(s), nil
	}
	return "", fmt.Errorf("unknown layout %q (want dated or flat)", s)
}

// DefaultFacility is the facility token of stations whose registry tags name none.
const DefaultFacility = "SIM"

// Writer writes data files into Dir.
type Writer struct {
	Dir    string
	Layout Layout
	// Registry resolves the station a wrong_station message names; nil makes its token from
	// the id.
	Registry *quantrac.Registry
}

// Path returns where the file of m goes, relative to the writer's directory. The station token
// of the name is the payload station's (so a wrong_station file lies in one station's folder
// with another's name) and that of the folder the topic station's.
func (w *Writer) Path(m *sim.Message) string {
	local := m.LocalTime()
	name := fmt.Sprintf("%s_%s_%s_%s.txt", ProvinceToken(m.Station), FacilityToken(m.Station),
		w.token(m.PayloadID, m.Station), local.Format("20060102150405"))
	if w.Layout == Flat {
		return name
	}
	return filepath.Join(w.token(m.ID, m.Station), local.Format("2006"), local.Format("01"), local.Format("02"), name)
}

// token returns the file-name token of the station with the given id.
func (w *Writer) token(id string, own *quantrac.Station) string {
	if id == own.ID {
		return sim.FileToken(own)
	}
	if s := w.Registry.Station(id); s != nil {
		return sim.FileToken(s)
	}
	if rest, ok := strings.CutPrefix(id, sim.UnknownPrefix); ok && rest == own.ID {
		return "UNREG" + sim.FileToken(own)
	}
	return sim.FileToken(&quantrac.Station{ID: id})
}

// Write writes payload as the file of m and returns its path. The file appears complete or
// not at all.
func (w *Writer) Write(m *sim.Message, payload []byte) (string, error) {
	path := filepath.Join(w.Dir, w.Path(m))
	dir, name := filepath.Split(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(payload)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// ProvinceToken returns the province code of a file name: the initials of the station's
// province tag without diacritics ("Lai Châu" → "LC"), or "VN" when it has none.
func ProvinceToken(st *quantrac.Station) string {
	var b strings.Builder
	for _, w := range strings.Fields(st.Tags["province"]) {
		r := []rune(w)[0]
		if f := fold(r); f != 0 {
			b.WriteRune(f)
		}
	}
	if b.Len() == 0 {
		return "VN"
	}
	return strings.ToUpper(b.String())
}

// FacilityToken returns the facility code of a file name: the station's "facility" tag in
// ASCII letters and digits (diacritics removed), or DefaultFacility.
func FacilityToken(st *quantrac.Station) string {
	f := strings.Map(func(r rune) rune {
		if f := fold(r); f != 0 {
			return f
		}
		return -1
	}, st.Tags["facility"])
	if f == "" {
		return DefaultFacility
	}
	return f
}

// fold maps a letter to its ASCII base letter (Vietnamese diacritics removed), 0 when the rune
// is not a letter it knows.
func fold(r rune) rune {
	if r < 0x80 {
		if (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return 0
	}
	for _, g := range vietnameseLetters {
		if strings.ContainsRune(g[1:], r) {
			return rune(g[0])
		}
	}
	return 0
}

// vietnameseLetters: each entry is an ASCII base letter followed by the letters that fold to it.
var vietnameseLetters = []string{
	"aàáảãạăằắẳẵặâầấẩẫậ", "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ",
	"eèéẻẽẹêềếểễệ", "EÈÉẺẼẸÊỀẾỂỄỆ",
	"iìíỉĩị", "IÌÍỈĨỊ",
	"oòóỏõọôồốổỗộơờớởỡợ", "OÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
	"uùúủũụưừứửữự", "UÙÚỦŨỤƯỪỨỬỮỰ",
	"yỳýỷỹỵ", "YỲÝỶỸỴ",
	"dđ", "DĐ",
}
