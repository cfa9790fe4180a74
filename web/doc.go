// Package web is hubcat's browser front end: one http.Handler serving the
// embedded chat page, the chat over WebSocket at /ws, /healthz and
// /metrics.
//
// # WebSocket
//
// /ws is a thin adapter. Each WebSocket is wrapped as a net.Conn on which
// every incoming text message reads as one line and every line written
// leaves as one text message, and handed to the same line/JSON front end
// ([chat.Server.ServeConn]) as a TCP client. Line length, flood control,
// write deadlines and the slow-consumer policy are therefore exactly those
// of TCP clients: a browser that stops reading is cut off and never stalls
// a room. The lines of one burst are framed into one buffer and written
// with one system call. Compression is off; the page's own origin may
// connect, others only when listed in [Config].Origins. Idle sockets are
// pinged so that dead peers are found.
//
// # Health and metrics
//
// /healthz answers 200 while the hub serves and 503 from the moment
// [Handler.Shutdown] begins. /metrics serves a private Prometheus registry
// whose hub figures are read from the hub at scrape time.
package web
