// hubcat's browser client: the JSON event protocol v1 over /ws.
// Every piece of text that came from the hub goes into the page through
// textContent, never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const NAME_KEY = "hubcat.name";

const state = {
  ws: null,
  name: "",
  rooms: new Map(), // name → room
  convs: new Map(), // peer → conversation
  view: { kind: "room", name: "lobby" },
  attempt: 0, // reconnects since the last good connection
  nextID: 1,
};

function room(name) {
  let r = state.rooms.get(name);
  if (!r) {
    r = { name, joined: false, events: [], seqs: new Set(), last: 0, first: 0,
      more: false, unread: 0, members: [], total: 0, pending: [] };
    state.rooms.set(name, r);
  }
  return r;
}

function conv(peer) {
  let c = state.convs.get(peer);
  if (!c) {
    c = { name: peer, events: [], ids: new Set(), unread: 0, pending: [] };
    state.convs.set(peer, c);
  }
  return c;
}

function current() {
  return state.view.kind === "room" ? room(state.view.name) : conv(state.view.name);
}

// ---- connection ----

function connect() {
  setConn("connecting", state.attempt ? "reconnecting…" : "connecting…");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(scheme + "//" + location.host + "/ws");
  state.ws = ws;
  ws.onmessage = (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    if (ev && typeof ev.type === "string") handle(ev);
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    state.ws = null;
    for (const r of state.rooms.values()) failPending(r);
    for (const c of state.convs.values()) failPending(c);
    const delay = Math.min(15000, 500 * 2 ** state.attempt) * (0.75 + Math.random() / 2);
    state.attempt++;
    setConn("offline", "offline; reconnecting in " + Math.ceil(delay / 1000) + " s");
    setTimeout(connect, delay);
  };
}

function setConn(s, text) {
  const el = $("conn");
  el.dataset.state = s;
  el.textContent = text;
}

function send(cmd) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
  state.ws.send(JSON.stringify(cmd));
  return true;
}

// onConnected runs once the hub greeted us (the hub speaks first on a
// WebSocket): take the remembered name, and rejoin every room we were in,
// each from the last event seen there, so nothing is missed or repeated.
function onConnected(hubRooms) {
  state.attempt = 0;
  setConn("connected", "connected as " + state.name);
  const nick = localStorage.getItem(NAME_KEY);
  if (nick && nick !== state.name) send({ cmd: "nick", name: nick });
  for (const r of state.rooms.values()) {
    if (!r.joined || (hubRooms.includes(r.name) && r.last === 0)) continue;
    const cmd = { cmd: "join", room: r.name };
    if (r.last > 0) cmd.after = r.last;
    send(cmd);
  }
  send({ cmd: "rooms" });
}

// ---- events ----

function handle(ev) {
  switch (ev.type) {
    case "hello":
      state.name = ev.name;
      $("name-input").value = ev.name;
      for (const n of ev.rooms || []) room(n).joined = true;
      onConnected(ev.rooms || []);
      break;
    case "message": case "action": case "join": case "leave": case "rename":
      roomEvent(ev, false);
      break;
    case "private": privateEvent(ev); break;
    case "history": historyEvent(ev); break;
    case "members": {
      const r = room(ev.room);
      r.members = ev.members || [];
      r.total = ev.total || r.members.length;
      renderMembers();
      break;
    }
    case "rooms": {
      const dl = $("known-rooms");
      dl.replaceChildren(...(ev.rooms || []).map((x) => {
        const o = document.createElement("option");
        o.value = x.name;
        return o;
      }));
      break;
    }
    case "ack": ack(ev); break;
    case "notice":
      info("notice", ev.text);
      break;
      break;
    case "error": {
      const p = findPending(ev.client_id);
      if (p) { p.el.classList.replace("pending", "error"); p.done = true; }
      info("error", ev.text || ev.code);
      break;
    }
  }
}

// roomEvent shows one room event; a live one also updates presence.
// unread says whether it counts as news (live events, and those a resume
// brought back) rather than as recent history.
function roomEvent(ev, fromHistory, unread = !fromHistory) {
  const r = room(ev.room);
  if (ev.seq && r.seqs.has(ev.seq)) return;
  if (ev.from === state.name && (ev.type === "message" || ev.type === "action")) {
    const p = r.pending.find((x) => !x.done && x.text === ev.text && x.type === ev.type);
    if (p) { settle(r, p, ev.seq); return; }
  }
  if (!fromHistory) presence(r, ev);
  if (ev.seq) r.seqs.add(ev.seq);
  const el = eventItem(ev);
  insert(r, ev.seq || 0, el);
  if (unread && (ev.type === "message" || ev.type === "action") && !viewing("room", r.name)) {
    r.unread++;
  }
  renderLists();
}

// presence keeps member lists and our own state in step with live events.
function presence(r, ev) {
  switch (ev.type) {
    case "join":
      if (ev.from === state.name) r.joined = true;
      if (!r.members.includes(ev.from)) { r.members.push(ev.from); r.total++; }
      break;
    case "leave":
      if (r.members.includes(ev.from)) r.total--;
      r.members = r.members.filter((n) => n !== ev.from);
      if (ev.from === state.name) r.joined = false;
      break;
    case "rename":
      if (ev.from === state.name) renamed(ev.name);
      for (const x of state.rooms.values()) x.members = x.members.map((n) => (n === ev.from ? ev.name : n));
      break;
  }
  renderMembers();
}

function renamed(name) {
  state.name = name;
  $("name-input").value = name;
  setConn("connected", "connected as " + name);
}

function historyEvent(ev) {
  const r = room(ev.room);
  const events = ev.events || [];
  const older = events.length > 0 && r.first > 0 && events[events.length - 1].seq < r.first;
  if (older || r.first === 0) r.more = !!ev.more;
  const seen = r.last; // a resume brings back news: events after the last one seen
  for (const e of events) roomEvent(e, true, seen > 0 && e.seq > seen);
  if (ev.complete === false) info("notice", "some earlier events in " + r.name + " are no longer kept", r);
  renderView();
}

function privateEvent(ev) {
  const peer = ev.from === state.name ? ev.to : ev.from;
  const c = conv(peer);
  if (ev.id && c.ids.has(ev.id)) return;
  if (ev.id) c.ids.add(ev.id);
  if (ev.from === state.name) {
    const p = c.pending.find((x) => !x.done && x.text === ev.text);
    if (p) { p.done = true; p.el.classList.remove("pending"); return; }
  }
  append(c, eventItem(ev));
  if (!viewing("conv", peer)) c.unread++;
  renderLists();
}

function ack(ev) {
  const p = findPending(ev.client_id);
  if (!p) return;
  if (p.room) settle(p.room, p, ev.seq);
  else { p.done = true; p.el.classList.remove("pending"); }
}

function findPending(id) {
  if (!id) return null;
  for (const r of state.rooms.values()) {
    const p = r.pending.find((x) => x.id === id);
    if (p) return p;
  }
  for (const c of state.convs.values()) {
    const p = c.pending.find((x) => x.id === id);
    if (p) return p;
  }
  return null;
}

// settle gives a message we sent its place in the room's order.
function settle(r, p, seq) {
  p.done = true;
  p.el.classList.remove("pending");
  r.pending = r.pending.filter((x) => x !== p);
  if (!seq || r.seqs.has(seq)) return;
  r.seqs.add(seq);
  p.el.dataset.seq = seq;
  p.el.remove();
  r.events = r.events.filter((x) => x.el !== p.el);
  insert(r, seq, p.el);
}

function failPending(t) {
  for (const p of t.pending) {
    if (!p.done) p.el.classList.replace("pending", "error");
    p.done = true;
  }
  t.pending = [];
}

// ---- rendering ----

function eventItem(ev) {
  const li = document.createElement("li");
  if (ev.seq) li.dataset.seq = ev.seq;
  if (ev.time) {
    const d = new Date(ev.time);
    const t = document.createElement("time");
    t.dateTime = ev.time;
    t.textContent = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    li.append(t);
  }
  const text = (s) => document.createTextNode(s);
  switch (ev.type) {
    case "message": case "private": {
      li.className = "msg";
      const from = document.createElement("span");
      from.className = "from";
      from.textContent = ev.from;
      const body = document.createElement("span");
      body.className = "text";
      body.textContent = ev.text;
      li.append(from, body);
      break;
    }
    case "action":
      li.className = "msg action";
      li.append(text("* " + ev.from + " " + ev.text));
      break;
    case "join":
      li.className = "event";
      li.append(text(ev.from + " joined " + ev.room));
      break;
    case "leave":
      li.className = "event";
      li.append(text(ev.from + " left " + ev.room + (ev.reason ? " (" + ev.reason + ")" : "")));
      break;
    case "rename":
      li.className = "event";
      li.append(text(ev.from + " is now known as " + ev.name));
      break;
  }
  return li;
}

// insert puts an item in a room's log in sequence order.
function insert(r, seq, el) {
  if (!seq || seq > r.last) {
    if (seq) r.last = seq;
    if (!r.first && seq) r.first = seq;
    append(r, el);
    return;
  }
  if (seq < r.first) r.first = seq;
  const i = r.events.findIndex((x) => x.seq > seq);
  const at = i < 0 ? r.events.length : i;
  r.events.splice(at, 0, { seq, el });
  if (viewing("room", r.name)) {
    const after = r.events[at + 1];
    $("log").insertBefore(el, after ? after.el : null);
  }
}

function append(t, el) {
  t.events.push({ seq: Number(el.dataset.seq || 0), el });
  if (t.events.length > 2000) t.events.shift().el.remove();
  const ours = (state.view.kind === "room" ? state.rooms : state.convs).get(state.view.name) === t;
  if (!ours) return;
  const log = $("log");
  const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(el);
  if (atEnd) log.scrollTop = log.scrollHeight;
}

// info shows a hub notice or an error in the view at hand (or in t).
function info(kind, text, t) {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = (kind === "error" ? "error: " : "") + text;
  append(t || current(), li);
}

function viewing(kind, name) {
  return state.view.kind === kind && state.view.name === name;
}

function renderAll() {
  renderLists();
  renderView();
}

function renderLists() {
  const item = (kind, t) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.name = t.name;
    const label = document.createElement("span");
    label.textContent = (kind === "room" ? "#" : "@") + t.name;
    b.append(label);
    if (t.unread > 0) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = String(t.unread);
      badge.setAttribute("aria-label", t.unread + " unread");
      b.append(badge);
    }
    if (viewing(kind, t.name)) b.setAttribute("aria-current", "true");
    b.addEventListener("click", () => show(kind, t.name));
    li.append(b);
    return li;
  };
  const rooms = [...state.rooms.values()].filter((r) => r.joined);
  $("rooms").replaceChildren(...rooms.map((r) => item("room", r)));
  $("convs").replaceChildren(...[...state.convs.values()].map((c) => item("conv", c)));
  const unread = [...state.rooms.values(), ...state.convs.values()].reduce((n, t) => n + t.unread, 0);
  document.title = (unread ? "(" + unread + ") " : "") + "hubcat";
}

function renderView() {
  const t = current();
  const isRoom = state.view.kind === "room";
  $("view-title").textContent = (isRoom ? "#" : "@") + t.name;
  $("leave").hidden = !isRoom || !t.joined;
  $("older").hidden = !isRoom || !t.more;
  $("log").replaceChildren(...t.events.map((x) => x.el));
  $("log").scrollTop = $("log").scrollHeight;
  renderMembers();
}

function renderMembers() {
  const box = $("members-box");
  if (state.view.kind !== "room") { box.hidden = true; return; }
  box.hidden = false;
  const r = room(state.view.name);
  const names = [...r.members].sort((a, b) => a.localeCompare(b));
  $("members").replaceChildren(...names.map((n) => {
    const li = document.createElement("li");
    li.textContent = n;
    return li;
  }));
  const more = r.total - names.length;
  $("members-title").textContent = "Members (" + Math.max(r.total, names.length) + ")" + (more > 0 ? ", " + more + " not listed" : "");
}

function show(kind, name) {
  state.view = { kind, name };
  const t = current();
  t.unread = 0;
  renderAll();
  $("say-input").focus();
}

// ---- user input ----

function id() {
  return "c" + state.nextID++;
}

// say sends what the user typed in the current view.
function say(text) {
  if (text.startsWith("/") && !text.startsWith("//")) return command(text);
  if (text.startsWith("//")) text = text.slice(1);
  if (state.view.kind === "conv") return sendPrivate(state.view.name, text);
  const r = current();
  sendToRoom(r, "message", text);
}

function sendToRoom(r, type, text) {
  const cid = id();
  if (!send({ cmd: type === "action" ? "act" : "say", room: r.name, text, id: cid })) {
    info("error", "not connected; your message was not sent");
    return;
  }
  const el = eventItem({ type, from: state.name, text, time: new Date().toISOString() });
  el.classList.add("pending");
  r.pending.push({ id: cid, type, text, el, room: r, done: false });
  append(r, el);
}

function sendPrivate(to, text) {
  const cid = id();
  if (!send({ cmd: "msg", to, text, id: cid })) {
    info("error", "not connected; your message was not sent");
    return;
  }
  const c = conv(to);
  const el = eventItem({ type: "private", from: state.name, to, text, time: new Date().toISOString() });
  el.classList.add("pending");
  c.pending.push({ id: cid, text, el, done: false });
  append(c, el);
  renderLists();
}

// command runs a typed /command: the common ones as JSON commands, the
// rest as the line an nc user would type.
function command(text) {
  const m = /^\/(\S+)\s*(.*)$/.exec(text);
  const verb = m[1].toLowerCase();
  const arg = m[2].trim();
  const inRoom = state.view.kind === "room";
  switch (verb) {
    case "join": if (arg) return joinRoom(arg.replace(/^#/, "")); break;
    case "part": case "leave": {
      const name = arg ? arg.replace(/^#/, "") : inRoom ? state.view.name : "";
      if (name) return partRoom(name);
      break;
    }
    case "nick": if (arg) return chooseName(arg); break;
    case "me": if (arg && inRoom) return sendToRoom(current(), "action", arg); break;
    case "msg": case "query": {
      const mm = /^(\S+)\s*(.*)$/.exec(arg);
      if (!mm) break;
      if (mm[2]) sendPrivate(mm[1], mm[2]);
      return show("conv", mm[1]);
    }
    case "who": if (inRoom) return send({ cmd: "who", room: state.view.name }); break;
  }
  if (!send({ cmd: "line", text })) info("error", "not connected");
}

function joinRoom(name) {
  if (!name) return;
  send({ cmd: "join", room: name });
  room(name);
  show("room", name);
}

function partRoom(name) {
  send({ cmd: "part", room: name });
  const r = room(name);
  r.joined = false;
  if (viewing("room", name)) {
    const next = [...state.rooms.values()].find((x) => x.joined);
    show("room", next ? next.name : "lobby");
  } else {
    renderLists();
  }
}

function chooseName(name) {
  localStorage.setItem(NAME_KEY, name);
  send({ cmd: "nick", name });
}

function olderHistory() {
  const r = current();
  if (r.first > 0) send({ cmd: "history", room: r.name, before: r.first, limit: 50 });
}

function onSubmit(form, input, fn) {
  $(form).addEventListener("submit", (e) => {
    e.preventDefault();
    const v = $(input).value.trim();
    if (!v) return;
    fn(v);
    if (input !== "name-input") $(input).value = "";
  });
}

onSubmit("say-form", "say-input", say);
onSubmit("join-form", "join-input", joinRoom);
onSubmit("name-form", "name-input", chooseName);
$("leave").addEventListener("click", () => partRoom(state.view.name));
$("older").addEventListener("click", olderHistory);
room("lobby").joined = true;
renderAll();
connect();
