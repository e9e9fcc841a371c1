package console

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// outline is console/assets/vietnam.json: country rings around Vietnam in lon/lat degrees.
type outline struct {
	Source    string `json:"source"`
	Countries []struct {
		Code  string         `json:"code"`
		Rings [][][2]float64 `json:"rings"`
	} `json:"countries"`
}

func parseOutline(data []byte) (*outline, error) {
	var o outline
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, fmt.Errorf("console: assets/vietnam.json: %w", err)
	}
	return &o, nil
}

// mercator projects lon/lat to Web Mercator pixels at zoom z (256-pixel tiles), the
// projection of map tiles, so that an optional tile base map lines up.
func mercator(lon, lat float64, z int) (x, y float64) {
	w := 256 * math.Exp2(float64(z))
	lat = math.Max(-85, math.Min(85, lat))
	s := math.Sin(lat * math.Pi / 180)
	return (lon + 180) / 360 * w, (0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)) * w
}

// view is the part of the world a map shows, in Web Mercator pixels at zoom Z.
type view struct {
	Z          int
	X, Y, W, H float64
}

// MapWidth is the map's width in pixels at its zoom.
const mapWidth = 860

// fitView returns the view around points (lon, lat pairs) at the largest zoom where the
// padded bounding box, at least minSpan degrees wide, fits width pixels.
func fitView(points [][2]float64, minSpan, width float64) view {
	if len(points) == 0 {
		points = [][2]float64{{102.1, 8.4}, {109.5, 23.4}} // Vietnam
	}
	lo, hi := points[0], points[0]
	for _, p := range points {
		lo = [2]float64{math.Min(lo[0], p[0]), math.Min(lo[1], p[1])}
		hi = [2]float64{math.Max(hi[0], p[0]), math.Max(hi[1], p[1])}
	}
	cx, cy := (lo[0]+hi[0])/2, (lo[1]+hi[1])/2
	half := math.Max(math.Max(hi[0]-lo[0], hi[1]-lo[1])*0.65, minSpan/2)
	lo, hi = [2]float64{cx - half, cy - half*0.75}, [2]float64{cx + half, cy + half*0.75}
	z := 12
	for ; z > 3; z-- {
		x0, _ := mercator(lo[0], 0, z)
		x1, _ := mercator(hi[0], 0, z)
		if x1-x0 <= width {
			break
		}
	}
	x0, y0 := mercator(lo[0], hi[1], z)
	x1, y1 := mercator(hi[0], lo[1], z)
	return view{Z: z, X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}

// ViewBox is the SVG viewBox attribute of the view.
func (v view) ViewBox() string { return fmt.Sprintf("%.0f %.0f %.0f %.0f", v.X, v.Y, v.W, v.H) }

// Point projects lon/lat into the view's coordinates.
func (v view) Point(lon, lat float64) (x, y float64) { return mercator(lon, lat, v.Z) }

// paths returns one SVG path per country of o in the view: Vietnam's filled, the neighbours'
// lighter, points closer than a pixel merged.
func (v view) paths(o *outline) []countryPath {
	var out []countryPath
	for _, c := range o.Countries {
		var b strings.Builder
		for _, ring := range c.Rings {
			var lx, ly float64
			n := 0
			for i, p := range ring {
				x, y := v.Point(p[0], p[1])
				if i > 0 && math.Abs(x-lx) < 1 && math.Abs(y-ly) < 1 {
					continue
				}
				if n == 0 {
					b.WriteString("M")
				} else {
					b.WriteString("L")
				}
				b.WriteString(strconv.FormatFloat(x, 'f', 0, 64) + " " + strconv.FormatFloat(y, 'f', 0, 64))
				lx, ly, n = x, y, n+1
			}
			if n > 0 {
				b.WriteString("Z")
			}
		}
		out = append(out, countryPath{Code: c.Code, D: template.HTMLAttr(`d="` + b.String() + `"`)})
	}
	return out
}

type countryPath struct {
	Code string
	D    template.HTMLAttr
}

// tile is one base-map tile image in the view.
type tile struct {
	URL    string
	X, Y   float64
	Size   float64
	Zoom   int
	TX, TY int
}

// tiles returns the tiles of the view from a URL template with {z}, {x} and {y}.
func (v view) tiles(tmpl string) []tile {
	if tmpl == "" {
		return nil
	}
	var out []tile
	n := 1 << v.Z
	for ty := int(v.Y / 256); float64(ty*256) < v.Y+v.H && ty < n; ty++ {
		for tx := int(v.X / 256); float64(tx*256) < v.X+v.W && tx < n; tx++ {
			u := strings.NewReplacer("{z}", strconv.Itoa(v.Z), "{x}", strconv.Itoa(tx), "{y}", strconv.Itoa(ty)).Replace(tmpl)
			out = append(out, tile{URL: u, X: float64(tx * 256), Y: float64(ty * 256), Size: 256, Zoom: v.Z, TX: tx, TY: ty})
		}
	}
	return out
}
