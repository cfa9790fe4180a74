package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the client acts on besides line editing (which the
// input's own key map handles).
type KeyMap struct {
	Send, Complete, CompleteBack key.Binding
	RecallPrev, RecallNext       key.Binding
	PageUp, PageDown, Bottom     key.Binding
	NextTab, PrevTab, Tab        key.Binding
	ToggleMembers, Quit          key.Binding
}

// DefaultKeyMap returns the client's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Send:          key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		Complete:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
		CompleteBack:  key.NewBinding(key.WithKeys("shift+tab")),
		RecallPrev:    key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "earlier inputs")),
		RecallNext:    key.NewBinding(key.WithKeys("down")),
		PageUp:        key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup/pgdn", "scroll")),
		PageDown:      key.NewBinding(key.WithKeys("pgdown")),
		Bottom:        key.NewBinding(key.WithKeys("ctrl+end", "alt+end")),
		NextTab:       key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n/p", "next/previous tab")),
		PrevTab:       key.NewBinding(key.WithKeys("ctrl+p")),
		Tab:           key.NewBinding(key.WithKeys("alt+1", "alt+2", "alt+3", "alt+4", "alt+5", "alt+6", "alt+7", "alt+8", "alt+9"), key.WithHelp("alt+1…9", "go to tab")),
		ToggleMembers: key.NewBinding(key.WithKeys("f2"), key.WithHelp("f2", "member list")),
		Quit:          key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}
