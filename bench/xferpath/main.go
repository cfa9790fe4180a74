// Command xferpath measures raw loopback byte-stream paths for
// bench/transfer.sh, the anchors hubcat's transfer is compared with: a bare
// Go crypto/tls stream, hubcat's own encrypted stream (the Noise handshake
// and AES-GCM records of internal/frame) without files or hashing, Go's
// sendfile path and plain read/write loops.
//
//	xferpath -listen 127.0.0.1:9000 [-tls|-noise] [-recv splice|rw]
//	xferpath -connect 127.0.0.1:9000 -file F [-tls|-noise] [-send sendfile|rw] [-buf 32768]
//
// With -sha256 both read/write loops also hash every byte inline: what any
// tool that verifies SHA-256 end to end pays, with no file written.
//
// The receiver prints one line: bytes=N seconds=S bytes_per_second=R.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/internal/frame"
)

func main() {
	listen := flag.String("listen", "", "receive on this address")
	connect := flag.String("connect", "", "send to this address")
	file := flag.String("file", "", "file to send")
	useTLS := flag.Bool("tls", false, "wrap the stream in TLS")
	useNoise := flag.Bool("noise", false, "secure the stream as hubcat does (token handshake, AES-GCM records)")
	send := flag.String("send", "rw", "sender path: sendfile (io.Copy from the file) or rw (read/write loop)")
	recv := flag.String("recv", "rw", "receiver path: splice (io.Copy into /dev/null) or rw (read loop)")
	bufSize := flag.Int("buf", 32<<10, "read/write loop buffer size")
	hashed := flag.Bool("sha256", false, "hash every byte on both sides (read/write loops only)")
	flag.Parse()
	if *hashed {
		digest = sha256.New()
	}
	var err error
	switch {
	case *listen != "":
		err = receive(*listen, *useTLS, *useNoise, *recv, *bufSize)
	case *connect != "":
		err = transmit(*connect, *file, *useTLS, *useNoise, *send, *bufSize)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// digest sees every byte a read/write loop moves; it discards them unless
// -sha256 is given.
var digest io.Writer = io.Discard

// benchHandshake is the handshake of the -noise stream.
var benchHandshake = frame.HandshakeConfig{Proto: "xferpath", Version: 1, Role: "bench", Token: "bench-token-0123456789"}

func receive(addr string, useTLS, useNoise bool, path string, bufSize int) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if useTLS {
		cert, err := endpoint.SelfSigned()
		if err != nil {
			return err
		}
		ln = tls.NewListener(ln, endpoint.ServerTLS(cert))
	}
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	if useNoise {
		if c, _, err = new(frame.Gate).Accept(c, benchHandshake); err != nil {
			return err
		}
	}
	start := time.Now()
	var n int64
	if path == "splice" {
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		n, err = io.Copy(null, c)
		if err != nil {
			return err
		}
	} else {
		buf := make([]byte, bufSize)
		for {
			k, err := c.Read(buf)
			n += int64(k)
			digest.Write(buf[:k])
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("bytes=%d seconds=%.3f bytes_per_second=%.0f\n", n, secs, float64(n)/secs)
	return nil
}

func transmit(addr, file string, useTLS, useNoise bool, path string, bufSize int) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var c net.Conn
	if useTLS {
		// Loopback benchmark only: the peer's certificate is throwaway.
		c, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if useNoise {
		if c, _, err = frame.Dial(c, benchHandshake); err != nil {
			return err
		}
	}
	if path == "sendfile" {
		_, err = io.Copy(c, f)
		return err
	}
	buf := make([]byte, bufSize)
	for {
		k, rerr := f.Read(buf)
		if k > 0 {
			digest.Write(buf[:k])
			if _, err := c.Write(buf[:k]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}
