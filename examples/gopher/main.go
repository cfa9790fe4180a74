// Command gopher is seed 003's Gopher client: "gopher HOST:PORT SELECTOR"
// sends the selector and a CRLF, then streams the reply to standard output
// until the server closes the connection.
package main

import (
	"io"
	"log"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: gopher HOST:PORT SELECTOR")
	}
	if err := fetch(os.Args[1], os.Args[2], os.Stdout, 10*time.Second); err != nil {
		log.Fatal(err)
	}
}

// fetch requests selector from addr and copies the reply to w. A DNS
// failure and a refused connection both come back as errors naming addr.
func fetch(addr, selector string, w io.Writer, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.WriteString(c, selector+"\r\n"); err != nil {
		return err
	}
	_, err = io.Copy(w, c) // until the server closes
	return err
}
