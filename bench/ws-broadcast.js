// A WebSocket broadcast chat server on the npm package ws, the Node.js
// anchor of bench/ws.sh: every text message a client sends is relayed
// unchanged to every other client. Usage: node ws-broadcast.js PORT
"use strict";
const { WebSocketServer, WebSocket } = require("ws");
const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(process.argv[2]), perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("error", () => {});
  ws.on("message", (data, isBinary) => {
    for (const peer of wss.clients) {
      if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: isBinary });
    }
  });
});
