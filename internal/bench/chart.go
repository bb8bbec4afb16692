package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"text/template"
)

// The chart's layout, in SVG user units (pixels).
const (
	chartWidth     = 960
	chartLabelEdge = 290 // side names end here, right-aligned
	chartPlotLeft  = 300
	chartPlotRight = 800 // the value labels go right of the bars
	chartTop       = 64  // below the title and the legend
	chartGroupHead = 18
	chartRow       = 16
	chartBar       = 11
	chartGroupGap  = 10
	// chartLogSpread: above this max/min ratio the axis is logarithmic,
	// else the fast reads would be invisible next to the PostgreSQL ones.
	chartLogSpread = 20
)

// sideColors colour the sides by what answers; other sides take the next
// of chartPalette in order of appearance.
var sideColors = []struct{ prefix, color string }{
	{"API", "#1f6fb2"}, {"Elasticsearch", "#e07b00"}, {"PostgreSQL", "#2e8b57"},
}

var chartPalette = []string{"#8e5ea2", "#7f7f7f", "#b03a2e", "#17becf"}

type chartBarView struct {
	Read, Side, Label, Color, Value                                         string
	Y, BarY, BarBottom, TextY, CenterY, Width, WhiskerX0, WhiskerX1, ValueX float64
	HasBar, HasWhisker                                                      bool
}

type chartGroupView struct {
	Title string
	Y     float64
	Bars  []chartBarView
}

type chartTickView struct {
	X     float64
	Label string
}

type chartLegendView struct {
	Label, Color string
	X            float64
}

type chartView struct {
	Width, Height, BarHeight, PlotTop, PlotLeft, PlotRight, LabelEdge, AxisY, TickEnd float64
	Title, Scale                                                                      string
	Legend                                                                            []chartLegendView
	Groups                                                                            []chartGroupView
	Ticks                                                                             []chartTickView
}

// chartScale maps milliseconds to x.
type chartScale struct {
	log    bool
	lo, hi float64
}

func (s chartScale) x(v float64) float64 {
	span := float64(chartPlotRight - chartPlotLeft)
	if s.log {
		v = max(v, s.lo)
		return chartPlotLeft + (math.Log10(v)-math.Log10(s.lo))/(math.Log10(s.hi)-math.Log10(s.lo))*span
	}
	return chartPlotLeft + v/s.hi*span
}

// newChartScale covers every p50 and p99 of the report: decades when the
// spread is large, else from 0 to a round maximum.
func newChartScale(ms []Measurement) chartScale {
	lo, hi := math.Inf(1), 0.0
	for _, m := range ms {
		for _, s := range m.Sides {
			if s.P50 > 0 {
				lo = min(lo, s.P50)
				hi = max(hi, s.P50, s.P99)
			}
		}
	}
	if hi == 0 {
		return chartScale{lo: 0, hi: 1}
	}
	if hi/lo > chartLogSpread {
		return chartScale{log: true, lo: math.Pow(10, math.Floor(math.Log10(lo))), hi: math.Pow(10, math.Ceil(math.Log10(hi)))}
	}
	return chartScale{hi: niceCeil(hi)}
}

// niceCeil is the smallest 1, 2 or 5 times a power of ten at or above v.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// ticks are the labelled values of the axis: each decade, or five steps.
func (s chartScale) ticks() []chartTickView {
	var out []chartTickView
	if s.log {
		for v := s.lo; v <= s.hi*1.0001; v *= 10 {
			out = append(out, chartTickView{X: s.x(v), Label: tickText(v)})
		}
		return out
	}
	for i := 0; i <= 5; i++ {
		v := s.hi * float64(i) / 5
		out = append(out, chartTickView{X: s.x(v), Label: tickText(v)})
	}
	return out
}

func tickText(v float64) string {
	if v >= 1000 {
		return thousands(v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

// Chart draws the latencies of the report's measurements as a standalone
// SVG: per read a group of horizontal bars, one per side (p50), with a
// whisker to p99, a legend by what answered, and an axis in ms (log scale
// when the spread is large). No scripts, no external fonts.
func Chart(r *Report) ([]byte, error) {
	sc := newChartScale(r.Measurements)
	v := chartView{Width: chartWidth, BarHeight: chartBar, PlotLeft: chartPlotLeft, PlotRight: chartPlotRight, LabelEdge: chartLabelEdge,
		Title: "Latency per read, side by side (bar: p50, whisker: p99)", Scale: "ms, linear"}
	if sc.log {
		v.Scale = "ms, log scale"
	}
	colors := map[string]string{}
	y := float64(chartTop)
	for _, m := range r.Measurements {
		if len(m.Sides) == 0 {
			continue
		}
		g := chartGroupView{Title: m.Name, Y: y + 12}
		y += chartGroupHead
		for _, s := range m.Sides {
			g.Bars = append(g.Bars, placeBar(sc, m.Name, s, sideColor(colors, &v, s.Side), y))
			y += chartRow
		}
		v.Groups = append(v.Groups, g)
		y += chartGroupGap
	}
	v.PlotTop, v.AxisY = chartTop, y+4
	v.TickEnd = v.AxisY + 5
	v.Ticks = sc.ticks()
	v.Height = v.AxisY + 40
	var b bytes.Buffer
	if err := chartTemplate.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("drawing the chart: %w", err)
	}
	return b.Bytes(), nil
}

// placeBar places one side's bar and whisker in the row at y.
func placeBar(sc chartScale, read string, s Stats, color string, y float64) chartBarView {
	b := chartBarView{Read: read, Side: s.Side, Label: s.Side, Color: color, Y: y,
		BarY: y + (chartRow-chartBar)/2, TextY: y + chartRow/2 + 4, CenterY: y + chartRow/2}
	b.BarBottom = b.BarY + chartBar
	if s.P50 <= 0 {
		b.Value, b.ValueX = "no samples", chartPlotLeft+4
		return b
	}
	x50 := sc.x(s.P50)
	b.HasBar, b.Width = true, max(x50-chartPlotLeft, 1)
	b.Value, b.ValueX = msText(s.P50)+" ms", x50+4
	if s.P99 > s.P50 {
		x99 := sc.x(s.P99)
		b.HasWhisker, b.WhiskerX0, b.WhiskerX1 = true, x50, x99
		b.Value, b.ValueX = fmt.Sprintf("%s / %s ms", msText(s.P50), msText(s.P99)), x99+4
	}
	return b
}

// sideColor is the colour of a side by what answers it, adding it to the
// legend the first time.
func sideColor(colors map[string]string, v *chartView, side string) string {
	key := side
	for _, c := range sideColors {
		if strings.HasPrefix(side, c.prefix) {
			key = c.prefix
		}
	}
	if c, ok := colors[key]; ok {
		return c
	}
	c, known := "", false
	for _, sc := range sideColors {
		if sc.prefix == key {
			c, known = sc.color, true
		}
	}
	if !known {
		others := len(colors)
		for _, sc := range sideColors {
			if _, ok := colors[sc.prefix]; ok {
				others--
			}
		}
		c = chartPalette[others%len(chartPalette)]
	}
	colors[key] = c
	x := float64(chartPlotLeft)
	if n := len(v.Legend); n > 0 {
		last := v.Legend[n-1]
		x = last.X + 24 + float64(len(last.Label))*7
	}
	v.Legend = append(v.Legend, chartLegendView{Label: key, Color: c, X: x})
	return c
}

// xmlText escapes text for an SVG element or attribute.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

var chartTemplate = template.Must(template.New("chart").Funcs(template.FuncMap{"x": xmlText, "f": func(v float64) string {
	return fmt.Sprintf("%.1f", v)
}}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{{f .Width}}" height="{{f .Height}}" viewBox="0 0 {{f .Width}} {{f .Height}}" font-family="sans-serif" font-size="11">
<title>{{x .Title}}</title>
<rect x="0" y="0" width="{{f .Width}}" height="{{f .Height}}" fill="#ffffff"/>
<text x="10" y="22" font-size="14" font-weight="bold">{{x .Title}}</text>
{{range .Legend}}<g class="legend"><rect x="{{f .X}}" y="36" width="12" height="12" fill="{{.Color}}"/><text x="{{f .X}}" dx="16" y="46">{{x .Label}}</text></g>
{{end}}{{range .Ticks}}<line class="grid" x1="{{f .X}}" y1="{{f $.PlotTop}}" x2="{{f .X}}" y2="{{f $.AxisY}}" stroke="#e3e3e3"/>
{{end}}{{range .Groups}}<g class="read">
<text x="10" y="{{f .Y}}" font-weight="bold">{{x .Title}}</text>
{{range .Bars}}<text x="{{f $.LabelEdge}}" y="{{f .TextY}}" text-anchor="end">{{x .Label}}</text>
{{if .HasBar}}<rect class="bar" data-read="{{x .Read}}" data-side="{{x .Side}}" x="{{f $.PlotLeft}}" y="{{f .BarY}}" width="{{f .Width}}" height="{{f $.BarHeight}}" fill="{{.Color}}"/>
{{end}}{{if .HasWhisker}}<line class="p99" x1="{{f .WhiskerX0}}" y1="{{f .CenterY}}" x2="{{f .WhiskerX1}}" y2="{{f .CenterY}}" stroke="#333333"/><line x1="{{f .WhiskerX1}}" y1="{{f .BarY}}" x2="{{f .WhiskerX1}}" y2="{{f .BarBottom}}" stroke="#333333"/>
{{end}}<text x="{{f .ValueX}}" y="{{f .TextY}}" fill="#333333">{{x .Value}}</text>
{{end}}</g>
{{end}}<line x1="{{f .PlotLeft}}" y1="{{f .AxisY}}" x2="{{f .PlotRight}}" y2="{{f .AxisY}}" stroke="#333333"/>
{{range .Ticks}}<line x1="{{f .X}}" y1="{{f $.AxisY}}" x2="{{f .X}}" y2="{{f $.TickEnd}}" stroke="#333333"/><text x="{{f .X}}" y="{{f $.AxisY}}" dy="16" text-anchor="middle">{{x .Label}}</text>
{{end}}<text x="{{f .PlotRight}}" y="{{f .AxisY}}" dy="32" text-anchor="end">{{x .Scale}}</text>
</svg>
`))
