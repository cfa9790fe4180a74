package tui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"
)

// Run opens the full-screen client on the terminal and keeps a connection
// made by dial until the user quits or ctx ends (which is no error). opts
// add to the program's options: tests give their own input, output and
// window size.
func Run(ctx context.Context, dial DialFunc, cfg Config, opts ...tea.ProgramOption) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := NewClient(dial)
	go c.Run(ctx)
	p := tea.NewProgram(NewModel(c, cfg),
		append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithoutSignalHandler(), tea.WithFPS(120)}, opts...)...)
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
