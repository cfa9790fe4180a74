// Command udp is seed 000's UDP pair: "udp recv ADDR" prints each datagram
// with its sender, "udp send ADDR MESSAGE..." sends each message as one
// datagram. UDP keeps message boundaries but promises no delivery.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 3 || (os.Args[1] != "recv" && os.Args[1] != "send") {
		log.Fatal("usage: udp recv ADDR | udp send ADDR MESSAGE...")
	}
	var err error
	if os.Args[1] == "recv" {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", os.Args[2]); err == nil {
			err = receive(pc, os.Stdout, 0)
		}
	} else {
		err = send(os.Args[2], os.Args[3:])
	}
	if err != nil {
		log.Fatal(err)
	}
}

// receive prints n datagrams (0: forever) as "SENDER: TEXT" lines.
func receive(pc net.PacketConn, w io.Writer, n int) error {
	buf := make([]byte, 65535)
	for i := 0; n == 0 || i < n; i++ {
		k, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %s\n", from, buf[:k])
	}
	return nil
}

// send sends each message to addr as one datagram.
func send(addr string, msgs []string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, m := range msgs {
		if _, err := c.Write([]byte(m)); err != nil {
			return err
		}
	}
	return nil
}
