package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// View renders the screen: the tab bar, the message pane (with the member
// list beside it), the status line and the input line.
func (m *Model) View() tea.View {
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	b.WriteString(m.tabBar())
	b.WriteByte('\n')
	m.pane(&b)
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	b.WriteString(m.input.View())
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "hubcat " + m.cfg.Addr
	if c := m.input.Cursor(); c != nil {
		c.Position.Y = m.height - 1
		v.Cursor = c
	}
	return v
}

// paneHeight is the number of rows of the message pane.
func (m *Model) paneHeight() int { return max(1, m.height-3) }

// memberWidth is the width of the member list, 0 when it is not shown.
func (m *Model) memberWidth() int {
	w := m.cur()
	if !m.showMembers || w.server || m.width < 50 {
		return 0
	}
	return min(max(m.width/5, 12), 24)
}

// tabBar renders the tabs with their unread counts; a tab that mentions us
// stands out.
func (m *Model) tabBar() string {
	var b strings.Builder
	used := 0
	for i, w := range m.wins {
		label := " " + strconv.Itoa(i+1) + ":" + w.name
		if w.private {
			label = " " + strconv.Itoa(i+1) + ":@" + w.name
		}
		if w.unread > 0 {
			label += " (" + strconv.Itoa(w.unread) + ")"
		}
		label += " "
		lw := ansi.StringWidth(label)
		if used+lw > m.width {
			break
		}
		used += lw
		st := m.styles.tab
		switch {
		case i == m.active:
			st = m.styles.tabActive
		case w.mentioned:
			st = m.styles.tabMention
		case w.unread > 0:
			st = m.styles.tabUnread
		}
		b.WriteString(st.Render(label))
	}
	if used < m.width {
		b.WriteString(m.styles.tab.Render(strings.Repeat(" ", m.width-used)))
	}
	return b.String()
}

// pane renders the visible rows of the active window, newest at the
// bottom, with the member list at the right.
func (m *Model) pane(b *strings.Builder) {
	w := m.cur()
	h := m.paneHeight()
	mw, pw := m.memberWidth(), m.paneWidth()
	rows, widths, hidden := m.visibleRows(w, h, pw)
	if hidden > 0 && len(rows) > 0 {
		rows[len(rows)-1] = m.styles.statusWarn.Render(fitWidth(fmt.Sprintf(" -- %d more below (ctrl+end) -- ", hidden), pw))
		widths[len(rows)-1] = pw
	}
	members := m.memberRows(w, h, mw)
	for r := 0; r < h; r++ {
		row, width := "", 0
		if k := r - (h - len(rows)); k >= 0 {
			row, width = rows[k], widths[k]
		}
		b.WriteString(row)
		if mw > 0 {
			b.WriteString(spaces(pw - width))
			b.WriteString(m.styles.bar)
			b.WriteString(members[r])
		}
		b.WriteByte('\n')
	}
}

// visibleRows picks the rows of the pane, top to bottom: the lines above
// the scroll position, newest at the bottom; scrolled up to the oldest
// line, the pane starts with it and fills with the lines below. hidden
// counts the lines below the pane.
func (m *Model) visibleRows(w *window, h, width int) (rows []string, widths []int, hidden int) {
	end := len(w.lines) - w.scroll
	start := end
	n := 0
	for start > 0 && n < h {
		start--
		lr, _ := m.rows(w.lines[start], width)
		n += len(lr)
	}
	below := false
	for end < len(w.lines) && n < h {
		lr, _ := m.rows(w.lines[end], width)
		n += len(lr)
		end++
		below = true
	}
	for i := start; i < end; i++ {
		lr, lw := m.rows(w.lines[i], width)
		rows, widths = append(rows, lr...), append(widths, lw...)
	}
	switch {
	case len(rows) <= h:
	case below || (start == 0 && w.scroll > 0): // scrolled to the top: the last line is cut
		rows, widths = rows[:h], widths[:h]
	default: // the top line is cut
		rows, widths = rows[len(rows)-h:], widths[len(widths)-h:]
	}
	return rows, widths, len(w.lines) - end
}

// paneWidth is the width of the message pane.
func (m *Model) paneWidth() int {
	if mw := m.memberWidth(); mw > 0 {
		return m.width - mw - 1
	}
	return m.width
}

// maxScroll is the scroll position that shows the oldest line at the top
// of the pane: scrolling further shows nothing new.
func (m *Model) maxScroll(w *window) int {
	h, width := m.paneHeight(), m.paneWidth()
	n, k := 0, 0
	for k < len(w.lines) && n < h {
		lr, _ := m.rows(w.lines[k], width)
		n += len(lr)
		k++
	}
	return len(w.lines) - k
}

// memberRows renders the member list, one row each.
func (m *Model) memberRows(w *window, h, mw int) []string {
	out := make([]string, h)
	if mw == 0 {
		return out
	}
	out[0] = m.styles.system.Render(fitWidth(strconv.Itoa(max(w.total, len(w.members)))+" here", mw))
	names := w.members
	if w.private {
		out[0] = m.styles.system.Render(fitWidth("private", mw))
		names = []string{w.name, m.name}
	}
	for i, n := range names {
		if i+1 >= h {
			break
		}
		out[i+1] = m.styles.name(fitWidth(n, mw))
	}
	return out
}

// blank is a run of spaces to pad rows from.
var blank = strings.Repeat(" ", 512)

// spaces returns n spaces (none for n ≤ 0).
func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blank) {
		return blank[:n]
	}
	return strings.Repeat(" ", n)
}

// rows renders a line wrapped to width, with each row's width in cells,
// caching the result.
func (m *Model) rows(l *line, width int) ([]string, []int) {
	if l.rows != nil && l.rowWidth == width && l.rowGen == m.styleGen {
		return l.rows, l.widths
	}
	s := m.styles.time.Render(m.stamp(l.time)) + " "
	text := l.text
	if l.mention {
		text = m.styles.mention.Render(text)
	}
	switch l.kind {
	case lineMessage:
		s += "<" + m.styles.name(l.from) + "> " + text
	case lineAction:
		s += "* " + m.styles.name(l.from) + " " + text
	case lineSystem:
		s += m.styles.system.Render("-- " + l.text)
	case lineError:
		s += m.styles.errText.Render("!! " + l.text)
	}
	switch l.state {
	case stateHeld:
		s += m.styles.pending.Render(" [queued]")
	case stateSent:
		s += m.styles.pending.Render(" [sending]")
	case stateFailed:
		s += m.styles.errText.Render(" [not sent: " + l.note + "]")
	}
	l.rows = strings.Split(ansi.Wrap(s, max(width, 1), " "), "\n")
	l.widths = l.widths[:0]
	for _, r := range l.rows {
		l.widths = append(l.widths, ansi.StringWidth(r))
	}
	l.rowWidth, l.rowGen = width, m.styleGen
	return l.rows, l.widths
}

// stamp formats a line's time in local time, with the date when it is
// not today's.
func (m *Model) stamp(t time.Time) string {
	t = t.In(m.loc)
	y, mo, d := t.Date()
	ny, nmo, nd := m.now().In(m.loc).Date()
	if y != ny || mo != nmo || d != nd {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("15:04")
}

// statusLine shows the connection state, who we are and where.
func (m *Model) statusLine() string {
	st := m.styles.status
	var state string
	switch m.conn {
	case connConnecting:
		state = "connecting to " + m.cfg.Addr
		if m.attempt > 1 {
			state += " (attempt " + strconv.Itoa(m.attempt) + ")"
		}
		st = m.styles.statusWarn
	case connHandshake:
		state = "connected to " + m.cfg.Addr + ", saying hello"
		st = m.styles.statusWarn
	case connOnline:
		state = "online at " + m.cfg.Addr + " as " + m.name
	case connOffline:
		state = "disconnected"
		if m.lastErr != nil {
			state += " (" + m.lastErr.Error() + ")"
		}
		wait := max(m.retryAt.Sub(m.now()), 0).Round(time.Second)
		state += ", retrying in " + wait.String()
		st = m.styles.statusBad
	}
	line := " [" + state + "]"
	if n := len(m.pendings); n > 0 {
		line += " " + strconv.Itoa(n) + " unsent ·"
	}
	w := m.cur()
	line += " " + w.name
	if !w.server && !w.private {
		line += " · " + strconv.Itoa(max(w.total, len(w.members))) + " here"
	}
	return st.Render(fitWidth(line, m.width))
}

// fitWidth pads or cuts plain text to exactly width cells.
func fitWidth(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if w := ansi.StringWidth(s); w <= width {
		return s + strings.Repeat(" ", width-w)
	}
	return ansi.Truncate(s, width-1, "") + "…"
}
