package tui

import (
	"hash/fnv"
	"image/color"
	"strings"

	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Name colours: one per name, chosen by a hash of the name so that it is
// the same in every session. Each palette keeps contrast on its own
// background: light tints for dark terminals, deep shades for light ones.
var (
	darkNames = []string{"#ff8787", "#ffaf5f", "#d7d75f", "#87d75f", "#5fd7af", "#5fafff",
		"#af87ff", "#ff87d7", "#d7af87", "#87d7ff", "#afd75f", "#ffafaf"}
	lightNames = []string{"#af0000", "#af5f00", "#878700", "#008700", "#00875f", "#005faf",
		"#5f00af", "#af0087", "#875f00", "#0087af", "#5f8700", "#870000"}
)

// styles is every style the view uses, in one place.
type styles struct {
	noColor bool
	names   []color.Color
	named   map[string]string // name → rendered, as Render is costly per frame
	bar     string            // the member list's divider, rendered

	time, system, errText, pending lipgloss.Style
	mention                        lipgloss.Style
	tab, tabActive                 lipgloss.Style
	tabUnread, tabMention          lipgloss.Style
	status, statusBad, statusWarn  lipgloss.Style
	divider                        lipgloss.Style
	input                          textinput.Styles
}

// newStyles returns the styles for a dark or light background; with
// noColor (NO_COLOR set) they use only bold, faint, underline and reverse.
func newStyles(noColor, dark bool) styles {
	s := styles{noColor: noColor, named: map[string]string{}}
	base := lipgloss.NewStyle()
	if noColor {
		s.input.Focused = textinput.StyleState{Placeholder: base.Faint(true), Prompt: base.Bold(true)}
		s.time = base.Faint(true)
		s.system = base.Faint(true)
		s.errText = base.Bold(true)
		s.pending = base.Faint(true)
		s.mention = base.Bold(true).Underline(true)
		s.tab = base
		s.tabActive = base.Reverse(true)
		s.tabUnread = base.Bold(true)
		s.tabMention = base.Bold(true).Underline(true)
		s.status = base.Reverse(true)
		s.statusBad = base.Reverse(true).Bold(true)
		s.statusWarn = base.Reverse(true)
		s.divider = base.Faint(true)
		s.bar = s.divider.Render("│")
		return s
	}
	pick := lipgloss.LightDark(dark)
	palette := lightNames
	if dark {
		palette = darkNames
	}
	for _, h := range palette {
		s.names = append(s.names, lipgloss.Color(h))
	}
	grey := pick(lipgloss.Color("#6c6c6c"), lipgloss.Color("#8a8a8a"))
	red := pick(lipgloss.Color("#af0000"), lipgloss.Color("#ff5f5f"))
	yellow := pick(lipgloss.Color("#875f00"), lipgloss.Color("#ffd75f"))
	barBg := pick(lipgloss.Color("#d0d0d0"), lipgloss.Color("#303030"))
	barFg := pick(lipgloss.Color("#1c1c1c"), lipgloss.Color("#e4e4e4"))
	accent := pick(lipgloss.Color("#005faf"), lipgloss.Color("#5fafff"))
	s.time = base.Foreground(grey)
	s.system = base.Foreground(grey)
	s.errText = base.Foreground(red).Bold(true)
	s.pending = base.Foreground(grey).Italic(true)
	s.mention = base.Foreground(yellow).Bold(true)
	s.tab = base.Foreground(barFg).Background(barBg)
	s.tabActive = base.Foreground(barBg).Background(accent).Bold(true)
	s.tabUnread = base.Foreground(barFg).Background(barBg).Bold(true)
	s.tabMention = base.Foreground(red).Background(barBg).Bold(true)
	s.status = base.Foreground(barFg).Background(barBg)
	s.statusBad = base.Foreground(red).Background(barBg).Bold(true)
	s.statusWarn = base.Foreground(yellow).Background(barBg)
	s.divider = base.Foreground(grey)
	s.bar = s.divider.Render("│")
	s.input = textinput.DefaultStyles(dark)
	s.input.Focused.Prompt = base.Foreground(accent).Bold(true)
	return s
}

// name renders a name in its own colour.
func (s *styles) name(n string) string {
	if s.noColor || len(s.names) == 0 {
		return n
	}
	if r, ok := s.named[n]; ok {
		return r
	}
	if len(s.named) > 4096 {
		clear(s.named)
	}
	r := lipgloss.NewStyle().Foreground(s.names[nameHash(strings.TrimSpace(n))%uint32(len(s.names))]).Render(n)
	s.named[n] = r
	return r
}

// nameHash is the stable hash that picks a name's colour; case does not
// change it, as names are case-insensitive on the hub.
func nameHash(n string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(n)))
	return h.Sum32()
}
