package tui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// Config is what the model needs besides its link to the hub. The zero
// value works: a guest name, the hub's lobby, colours, local time.
type Config struct {
	// Addr is the hub's address, shown in the status line.
	Addr string
	// Nick is the name asked for at each hello; empty keeps the guest name.
	Nick string
	// Join lists rooms to join after the first hello, besides the lobby.
	Join []string
	// NoColor renders without colour (NO_COLOR): bold, faint, underline
	// and reverse only.
	NoColor bool
	// Location is the time zone of timestamps; nil means time.Local.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PingEvery is how often a quiet connection is checked; zero means 30s.
	PingEvery time.Duration
}

// Link is the model's way to the hub: the Client, or a fake in tests.
type Link interface {
	// Wait blocks until the next message from the hub side.
	Wait() tea.Msg
	// Send writes a batch of commands on connection gen.
	Send(gen int, cmds []Command) error
}

// connState is the state of the connection, as the status line shows it.
type connState int

const (
	connConnecting connState = iota // dialling
	connHandshake                   // connected, hello not answered yet
	connOnline                      // hello answered
	connOffline                     // lost; a redial is scheduled
)

// pending is one of our messages not yet confirmed by an ack.
type pending struct {
	cmd  Command
	line *line
	win  *window
	gen  int // connection it was written on; 0 while held
}

// completion is a Tab completion in progress: Tab again cycles.
type completion struct {
	before, after string
	candidates    []string
	suffix        string
	i             int
}

// Model is the chat client's state. Update is a pure function of messages:
// the socket is the Client's, and commands leave through tea.Cmds, one
// batch in flight at a time so that they keep their order.
type Model struct {
	link  Link
	cfg   Config
	keys  KeyMap
	now   func() time.Time
	loc   *time.Location
	after func(time.Duration, func(time.Time) tea.Msg) tea.Cmd // tea.Tick

	name       string          // our name on the hub
	selves     map[string]bool // every name we had this session
	nick       string          // the name we ask for
	nickID     string          // the /nick awaiting its pong
	nickRetry  bool            // ask for nick again shortly: it was taken
	conn       connState
	gen        int
	attempt    int
	lastErr    error
	retryAt    time.Time
	everOnline bool

	wins     []*window
	active   int
	switchTo string
	whoAsked map[string]bool
	joining  map[string]bool // rooms asked for, not yet answered
	known    []string        // rooms the hub listed

	outq     []Command
	flushing bool
	pendings []*pending
	nextID   int

	input     textinput.Model
	recall    []string
	recallPos int
	draft     string
	comp      *completion

	width, height int
	showMembers   bool
	dark          bool
	styles        styles
	styleGen      int
}

// NewModel returns a model that talks to the hub through link.
func NewModel(link Link, cfg Config) *Model {
	m := &Model{
		link: link, cfg: cfg, keys: DefaultKeyMap(), now: cfg.Now, loc: cfg.Location,
		nick: cfg.Nick, whoAsked: map[string]bool{}, joining: map[string]bool{}, selves: map[string]bool{}, showMembers: true, dark: true,
		width: 80, height: 24, after: tea.Tick,
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.loc == nil {
		m.loc = time.Local
	}
	if m.cfg.PingEvery <= 0 {
		m.cfg.PingEvery = 30 * time.Second
	}
	m.styles = newStyles(cfg.NoColor, m.dark)
	m.input = textinput.New()
	m.input.Prompt = "> "
	m.input.Placeholder = "type a message, or /help"
	m.input.SetVirtualCursor(false)
	m.input.KeyMap.AcceptSuggestion = key.NewBinding()
	m.input.KeyMap.NextSuggestion = key.NewBinding()
	m.input.KeyMap.PrevSuggestion = key.NewBinding()
	m.input.SetStyles(m.styles.input)
	m.input.Focus()
	hubTab := newWindow("hub")
	hubTab.server = true
	m.wins = []*window{hubTab}
	return m
}

// Init starts listening to the client and asks the terminal's background.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.link.Wait, tea.RequestBackgroundColor)
}

// Update applies one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	return m, tea.Batch(cmd, m.flush())
}

// Message types the model sends itself.
type (
	pingMsg struct{ gen int }
	nickMsg struct{ gen int }
	tickMsg struct{}
)

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ConnectingMsg:
		m.conn, m.attempt = connConnecting, msg.Attempt
		return m.link.Wait
	case ConnectedMsg:
		m.connected(msg.Gen)
		return m.link.Wait
	case DisconnectedMsg:
		return tea.Batch(m.link.Wait, m.disconnected(msg))
	case EventMsg:
		if msg.Gen != m.gen {
			return m.link.Wait
		}
		cmds := []tea.Cmd{m.link.Wait}
		for _, ev := range msg.Events {
			m.event(ev)
			if ev.Type == "hello" {
				cmds = append(cmds, m.pingLater(), m.retryNick())
			}
		}
		return tea.Batch(cmds...)
	case nickMsg:
		if msg.gen == m.gen && m.online() && !strings.EqualFold(m.name, m.nick) {
			m.askNick(m.nick)
		}
	case SentMsg:
		if msg.Gen == m.gen {
			m.flushing = false
		}
	case pingMsg:
		if msg.gen == m.gen && m.conn == connOnline {
			m.queue(Command{Cmd: "ping"})
			return m.pingLater()
		}
	case tickMsg:
		if m.conn == connOffline {
			return m.after(time.Second, func(time.Time) tea.Msg { return tickMsg{} })
		}
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.input.SetWidth(max(1, m.width-len(m.input.Prompt)-1))
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.styles = newStyles(m.cfg.NoColor, m.dark)
		m.input.SetStyles(m.styles.input)
		m.styleGen++
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return cmd
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.scrollBy(3)
		case tea.MouseWheelDown:
			m.scrollBy(-3)
		}
	}
	return nil
}

// flush hands the queued commands to the link as one batch, unless a batch
// is still being written: order is kept by having one in flight at most.
func (m *Model) flush() tea.Cmd {
	if m.flushing || len(m.outq) == 0 || m.gen == 0 {
		return nil
	}
	batch, gen, link := m.outq, m.gen, m.link
	m.outq, m.flushing = nil, true
	return func() tea.Msg {
		return SentMsg{Gen: gen, N: len(batch), Err: link.Send(gen, batch)}
	}
}

func (m *Model) queue(cmds ...Command) {
	m.outq = append(m.outq, cmds...)
}

// retryNick asks again for a nick the hub refused at hello, in case it
// was held by our own connection that the hub had not seen die.
func (m *Model) retryNick() tea.Cmd {
	if !m.nickRetry {
		return nil
	}
	m.nickRetry = false
	gen := m.gen
	return m.after(3*time.Second, func(time.Time) tea.Msg { return nickMsg{gen: gen} })
}

// askNick sends a nick command and the ping that confirms it.
func (m *Model) askNick(name string) {
	m.nickID = m.newID()
	m.queue(Command{Cmd: "nick", ID: m.nickID, Name: name}, Command{Cmd: "ping", ID: nickPrefix + name})
}

func (m *Model) pingLater() tea.Cmd {
	gen := m.gen
	return m.after(m.cfg.PingEvery, func(time.Time) tea.Msg { return pingMsg{gen: gen} })
}

// connected starts connection gen with a hello; the rooms are resumed when
// it is answered.
func (m *Model) connected(gen int) {
	m.gen, m.conn, m.lastErr = gen, connHandshake, nil
	m.outq, m.flushing = nil, false
	m.queue(Command{Cmd: "hello", Version: Version, Nick: m.wantNick()})
}

func (m *Model) wantNick() string {
	if m.nick != "" {
		return m.nick
	}
	return m.name // keep the guest name we had, if free
}

// disconnected notes a lost connection (or a failed dial).
func (m *Model) disconnected(msg DisconnectedMsg) tea.Cmd {
	if msg.Gen != 0 && msg.Gen != m.gen {
		return nil
	}
	wasOnline := m.conn == connOnline
	m.gen, m.conn, m.lastErr = 0, connOffline, msg.Err
	m.retryAt = m.now().Add(msg.Retry)
	m.outq, m.flushing = nil, false
	if wasOnline {
		for _, w := range m.wins {
			if !w.server && !w.private {
				w.add(m.local(lineSystem, "connection lost: reconnecting"))
			}
		}
	}
	return func() tea.Msg { return tickMsg{} }
}

func (m *Model) online() bool { return m.conn == connOnline }

// newID returns a fresh client ID for a command.
func (m *Model) newID() string {
	m.nextID++
	return "c" + strconv.Itoa(m.nextID)
}

// local makes a line that the client itself shows.
func (m *Model) local(k lineKind, text string) *line {
	return &line{kind: k, time: m.now(), text: text}
}

// note shows a local line in the active window.
func (m *Model) note(k lineKind, text string) {
	m.cur().add(m.local(k, text))
}

func (m *Model) cur() *window { return m.wins[m.active] }

// room finds a room's window.
func (m *Model) room(name string) *window {
	for _, w := range m.wins {
		if !w.private && !w.server && strings.EqualFold(w.name, name) {
			return w
		}
	}
	return nil
}

// openRoom returns a room's window, creating it; a room joined on request
// becomes the active tab.
func (m *Model) openRoom(name string) *window {
	if w := m.room(name); w != nil {
		return w
	}
	w := newWindow(name)
	m.wins = append(m.wins, w)
	if strings.EqualFold(m.switchTo, name) || len(m.wins) == 2 {
		m.switchTo = ""
		m.setActive(len(m.wins) - 1)
	}
	return w
}

// private returns a private conversation's window, creating it.
func (m *Model) private(nick string) *window {
	for _, w := range m.wins {
		if w.private && strings.EqualFold(w.name, nick) {
			return w
		}
	}
	w := newWindow(nick)
	w.private = true
	m.wins = append(m.wins, w)
	return w
}

// closeWindow removes a window and keeps a sensible active tab.
func (m *Model) closeWindow(w *window) {
	i := slices.Index(m.wins, w)
	if i <= 0 {
		return
	}
	m.wins = slices.Delete(m.wins, i, i+1)
	m.pendings = slices.DeleteFunc(m.pendings, func(p *pending) bool { return p.win == w })
	if m.active >= i {
		m.setActive(max(0, m.active-1))
	}
}

// setActive switches tabs; the tab's unread count and highlight clear.
func (m *Model) setActive(i int) {
	if i < 0 || i >= len(m.wins) {
		return
	}
	m.active = i
	w := m.wins[i]
	w.unread, w.mentioned = 0, false
	m.comp = nil
}

// findPending finds our unconfirmed message by its client ID.
func (m *Model) findPending(id string) (int, *pending) {
	for i, p := range m.pendings {
		if p.cmd.ID == id {
			return i, p
		}
	}
	return -1, nil
}
