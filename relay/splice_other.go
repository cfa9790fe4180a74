//go:build !linux

package relay

import (
	"net"
	"os"
)

// splicePipe is splice(2) on Linux; elsewhere the buffered copy is used.
func splicePipe(net.Conn, *os.File, func(bool)) (bool, error) { return false, nil }
