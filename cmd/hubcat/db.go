package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/sqlitelog"
)

// dataNone is the --data value that keeps history in memory only.
const dataNone = "none"

const dataFlagHelp = `directory of the history database ("none" = memory only; default $XDG_DATA_HOME/hubcat, else ~/.local/share/hubcat)`

func dbCmd(std stdio) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "db",
		Short: "back up or check the hub's history database",
		Long: `Back up or check the history database of a hub, even while the hub runs:

  hubcat db backup /backups/hubcat-$(date +%F).db
  hubcat db check --data /srv/hubcat`,
	}
	cmd.PersistentFlags().StringVar(&data, "data", "", dataFlagHelp)
	cmd.AddCommand(&cobra.Command{
		Use:   "backup FILE",
		Short: "write a consistent copy of the history database to FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := storeDir(data)
			if err != nil {
				return err
			}
			if err := sqlitelog.Backup(cmd.Context(), dir, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(std.err, "hubcat: backed up %s to %s\n", filepath.Join(dir, sqlitelog.DBFile), args[0])
			return nil
		},
	}, &cobra.Command{
		Use:   "check",
		Short: "run SQLite's integrity check on the history database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := storeDir(data)
			if err != nil {
				return err
			}
			path := filepath.Join(dir, sqlitelog.DBFile)
			problems, err := sqlitelog.Check(cmd.Context(), dir)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(std.out, p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: integrity check found %d problems", path, len(problems))
			}
			fmt.Fprintf(std.out, "%s: ok\n", path)
			return nil
		},
	})
	return cmd
}

// dataDir resolves --data: "" is the user's data directory, "none" is
// returned as is.
func dataDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "hubcat"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", &usageError{msg: "no home directory for the default --data", hint: "give --data DIR, or --data none for memory only"}
	}
	return filepath.Join(home, ".local", "share", "hubcat"), nil
}

// storeDir is dataDir for the db commands, which need a database.
func storeDir(flag string) (string, error) {
	dir, err := dataDir(flag)
	if err == nil && dir == dataNone {
		err = &usageError{msg: "--data none keeps no database", hint: "give the --data DIR the hub was started with"}
	}
	return dir, err
}

// historyOptions are hubcat serve's history flags.
type historyOptions struct {
	data    string
	keep    int
	keepAge time.Duration
}

func addHistoryFlags(f *pflag.FlagSet, o *historyOptions) {
	f.StringVar(&o.data, "data", "", dataFlagHelp)
	f.IntVar(&o.keep, "history-keep", 1_000_000, "events kept per room; older ones are removed in the background (0 = all)")
	f.DurationVar(&o.keepAge, "history-max-age", 0, "remove room events and private messages older than this, e.g. 720h (0 = never)")
}

// openHistory opens the durable log --data asks for and says where history
// lives; nil (and a no-op close) for --data none.
func openHistory(o historyOptions, log *slog.Logger) (hub.Log, func(), error) {
	dir, err := dataDir(o.data)
	if err != nil {
		return nil, nil, err
	}
	if dir == dataNone {
		log.Info("history in memory only; lost at exit", "data", dataNone)
		return nil, func() {}, nil
	}
	l, err := sqlitelog.Open(dir, sqlitelog.Options{MaxPerRoom: o.keep, MaxAge: o.keepAge, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	log.Info("history", "db", l.Path(), "keep_per_room", o.keep, "max_age", o.keepAge)
	return l, func() {
		if err := l.Close(); err != nil {
			log.Error("closing history", "db", l.Path(), "err", err)
		}
	}, nil
}
