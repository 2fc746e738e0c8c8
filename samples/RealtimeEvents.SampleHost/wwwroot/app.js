// The sample host's live dashboard. One subscription ({id: "dashboard", topics: ["executions/**"], snapshot: true})
// gives the current state of every execution, then every event after it; the page keeps a small model of the
// executions, applies each event to it (absolute values, so replays are harmless) and redraws what changed once per
// animation frame. No framework, no build step: the browser client comes from the package at /realtime/client.js.
import { connect } from "/realtime/client.js";

const PREFIX = "/realtime";
const TRANSPORTS = ["websocket", "signalr", "sse"];
const LOG_LIMIT = 1000;          // event rows kept in the log (the oldest go first)
const NOTICE_LIMIT = 100;        // notices (connection changes, gaps, errors) kept in the log
const KEEP_FINISHED = 50;        // finished executions kept on the page, like the engine
const STATS_INTERVAL_MS = 2000;  // GET /realtime/admin/stats
const RATE_HISTORY = 60;         // seconds of events/s in the sparkline
const STATE_LABELS = { open: "connected" };
const FINISHED = new Set(["completed", "failed", "cancelled", "timed_out"]);

// ---------------------------------------------------------------------------------------------------------------
// DOM

const byId = (id) => document.getElementById(id);
const ui = {
  conn: byId("conn"),
  connState: byId("connection-state"),
  lastPosition: byId("last-position"),
  connectionId: byId("connection-id"),
  transport: byId("transport-select"),
  eps: byId("counter-eps"),
  spark: byId("spark").querySelector("polyline"),
  connections: byId("counter-connections"),
  drops: byId("counter-drops"),
  agentCount: byId("agent-count"),
  start: byId("start-execution"),
  banner: byId("banner"),
  bannerText: byId("banner-text"),
  reconnectNow: byId("reconnect-now"),
  statusFilter: byId("status-filter"),
  execList: byId("exec-list"),
  execEmpty: byId("exec-empty"),
  execEmptyTitle: byId("exec-empty-title"),
  log: byId("event-log"),
  logCount: byId("log-count"),
  filterType: byId("filter-type"),
  filterTopic: byId("filter-topic"),
  toasts: byId("toasts"),
};

/** Creates an element: h("span", { class: "x", "data-testid": "y", onclick: f }, "text", child). */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children);
  return el;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function setProgress(bar, fill, percent) {
  const value = Number.isFinite(percent) ? percent : 0;
  bar.dataset.percent = String(value);
  bar.setAttribute("aria-valuenow", String(value));
  fill.style.transform = `scaleX(${Math.min(100, Math.max(0, value)) / 100})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

const pad = (n, width = 2) => String(n).padStart(width, "0");
const formatPercent = (p) => `${Math.round(Number(p) || 0)}%`;
const compareIds = (a, b) => a.localeCompare(b, "en", { numeric: true });

function formatClock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const formatMillis = (ms) => `.${pad(new Date(ms).getMilliseconds(), 3)}`;

function formatDuration(ms) {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(Math.floor(s % 60))}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

function formatAgo(ms) {
  const s = Math.floor(Math.max(0, Date.now() - ms) / 1000);
  if (s < 2) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

const formatRate = (rate) => (rate < 10 ? rate.toFixed(1).replace(/\.0$/, "") : String(Math.round(rate)));

/** A short, human summary of an event's data for the log. */
function summarize(data) {
  if (data == null) return "";
  if (typeof data !== "object") return String(data);
  const parts = [];
  if (typeof data.percent === "number") parts.push(formatPercent(data.percent));
  if (data.name) parts.push(String(data.name));
  if (data.message) parts.push(String(data.message));
  if (data.error) parts.push(data.errorType ? `${data.errorType}: ${data.error}` : String(data.error));
  if (parts.length) return parts.join(" · ");
  const json = JSON.stringify(data);
  return json.length > 120 ? `${json.slice(0, 119)}…` : json;
}

// ---------------------------------------------------------------------------------------------------------------
// Model: the executions, kept from the snapshot and the events after it

/** @type {Map<string, {id, workflow, status, percent, startedAt, finishedAt, error, agents: Map}>} */
const executions = new Map();

function executionFromState(state) {
  return {
    id: state.id,
    workflow: state.workflow ?? "",
    status: state.status ?? "running",
    percent: Number(state.percent) || 0,
    startedAt: Date.parse(state.startedAt) || Date.now(),
    finishedAt: state.finishedAt ? Date.parse(state.finishedAt) : null,
    error: state.error ?? null,
    agents: new Map((state.agents ?? []).map((a) => [a.id, agentFromState(a)])),
  };
}

function agentFromState(state) {
  return { id: state.id, role: state.role ?? state.id, status: state.status ?? "waiting", percent: Number(state.percent) || 0, step: state.step ?? null };
}

/** Replaces the whole model, for a snapshot or a reload. */
function replaceExecutions(states) {
  executions.clear();
  for (const state of states) executions.set(state.id, executionFromState(state));
  view.reconcile = true;
  scheduleFlush();
}

/** Adds an execution the API returned, unless the events already told about it. */
function addExecution(state) {
  if (!state?.id || executions.has(state.id)) return;
  executions.set(state.id, executionFromState(state));
  markDirty(state.id);
}

/** Applies one event: topics executions/{id} and executions/{id}/agents/{agentId}. Sets absolute values only. */
function applyEvent(event) {
  const [root, executionId, kind, agentId] = event.topic.split("/");
  if (root !== "executions" || !executionId) return;
  const time = Date.parse(event.time) || Date.now();
  let execution = executions.get(executionId);
  if (!execution) {
    execution = executionFromState({ id: executionId, status: "running", startedAt: event.time });
    executions.set(executionId, execution);
  }
  const data = event.data && typeof event.data === "object" ? event.data : {};
  if (kind === "agents" && agentId) applyAgentEvent(execution, agentId, event.type, data);
  else applyExecutionEvent(execution, event.type, data, time);
  markDirty(executionId);
}

function applyExecutionEvent(execution, type, data, time) {
  switch (type) {
    case "execution.started":
      Object.assign(execution, { status: "running", startedAt: time, finishedAt: null, error: null });
      if (data.name) execution.workflow = data.name;
      break;
    case "execution.progress":
      if (typeof data.percent === "number") execution.percent = data.percent;
      break;
    case "execution.completed":
      Object.assign(execution, { status: "completed", percent: 100, finishedAt: time });
      break;
    case "execution.failed":
      Object.assign(execution, { status: "failed", finishedAt: time, error: data.error ?? "failed" });
      stopAgents(execution, "stopped: another agent failed");
      break;
    case "execution.cancelled":
    case "execution.timed_out":
      Object.assign(execution, { status: type.slice("execution.".length), finishedAt: time });
      stopAgents(execution, "cancelled");
      break;
    default:
      break;
  }
}

/** The engine stops the agents still working when an execution fails or is cancelled (without events for them). */
function stopAgents(execution, step) {
  for (const agent of execution.agents.values()) {
    if (agent.status === "running" || agent.status === "waiting") Object.assign(agent, { status: "cancelled", step });
  }
}

function applyAgentEvent(execution, agentId, type, data) {
  let agent = execution.agents.get(agentId);
  if (!agent) {
    agent = agentFromState({ id: agentId, role: data.name });
    execution.agents.set(agentId, agent);
  }
  switch (type) {
    case "agent.started":
      Object.assign(agent, { status: "running", percent: 0, step: "starting" });
      if (data.name) agent.role = data.name;
      break;
    case "agent.progress":
      Object.assign(agent, { status: "running", percent: Number(data.percent) || 0 });
      if (data.message) agent.step = data.message;
      break;
    case "task.progress":
      if (data.message) agent.step = `${data.message} · ${formatPercent(data.percent)}`;
      break;
    case "agent.completed":
      Object.assign(agent, { status: "completed", percent: 100, step: data.message ?? "done" });
      break;
    case "agent.failed":
      Object.assign(agent, { status: "failed", step: data.error ?? "failed" });
      break;
    case "agent.cancelled":
      agent.status = "cancelled";
      break;
    default:
      break;
  }
}

/** Keeps every running execution and the newest KEEP_FINISHED finished ones. */
function trimExecutions() {
  const finished = [...executions.values()].filter((e) => FINISHED.has(e.status));
  if (finished.length <= KEEP_FINISHED) return;
  finished.sort(newestFirst);
  for (const execution of finished.slice(KEEP_FINISHED)) {
    executions.delete(execution.id);
    markDirty(execution.id);
  }
}

function newestFirst(a, b) {
  return b.startedAt - a.startedAt || compareIds(b.id, a.id);
}

// ---------------------------------------------------------------------------------------------------------------
// View: redrawn once per animation frame

const view = {
  cards: new Map(),      // execution id -> card
  dirty: new Set(),      // execution ids to redraw
  reconcile: false,      // after a snapshot: drop cards of executions that are gone, and reorder
  pending: [],           // log items not drawn yet: { event } or { notice, kind }
  frame: 0,
  timer: 0,
  snapshotSeen: false,
};

function markDirty(id) {
  view.dirty.add(id);
  scheduleFlush();
}

/** Redraws on the next animation frame, or within 250 ms when the tab is hidden and frames do not come. */
function scheduleFlush() {
  if (view.frame) return;
  view.frame = requestAnimationFrame(flush);
  view.timer = setTimeout(flush, 250);
}

function flush() {
  cancelAnimationFrame(view.frame);
  clearTimeout(view.timer);
  view.frame = 0;
  trimExecutions();
  const reconciled = view.reconcile;
  if (reconciled) reconcileCards();
  const changed = reconciled || view.dirty.size > 0;
  for (const id of view.dirty) renderExecution(id);
  view.dirty.clear();
  if (changed) renderExecutionCounts();
  renderLog();
  renderPosition();
}

function reconcileCards() {
  view.reconcile = false;
  for (const id of view.cards.keys()) view.dirty.add(id);
  for (const id of executions.keys()) view.dirty.add(id);
  // Put the cards that stay in order at the top; cards of executions that are gone end up below and are removed.
  let position = 0;
  for (const execution of [...executions.values()].sort(newestFirst)) {
    const card = view.cards.get(execution.id);
    if (!card) continue;
    const current = ui.execList.children[position];
    if (current !== card.el) ui.execList.insertBefore(card.el, current ?? null);
    position++;
  }
}

function renderExecution(id) {
  const execution = executions.get(id);
  let card = view.cards.get(id);
  if (!execution) {
    card?.el.remove();
    view.cards.delete(id);
    return;
  }
  if (!card) {
    card = createCard(execution);
    view.cards.set(id, card);
    insertCard(card, execution);
  }
  updateCard(card, execution);
}

/** Inserts a card before the first older one, so the list stays newest first. */
function insertCard(card, execution) {
  for (const other of ui.execList.children) {
    const otherExecution = executions.get(other.dataset.id);
    if (otherExecution && newestFirst(execution, otherExecution) < 0) {
      ui.execList.insertBefore(card.el, other);
      return;
    }
  }
  ui.execList.append(card.el);
}

function createCard(execution) {
  const id = execution.id;
  const card = {
    status: h("span", { class: "badge", "data-testid": "execution-status" }),
    fill: h("div", { class: "bar-fill" }),
    percent: h("span", { class: "pct" }),
    workflow: h("span", { class: "workflow" }),
    since: h("time", { class: "since" }),
    actions: h("div", { class: "card-actions" }),
    error: h("p", { class: "exec-error", hidden: true }),
    agents: h("div", { class: "agents", role: "list", "aria-label": `Agents of ${id}` }),
    agentViews: new Map(),
    last: {},
  };
  card.bar = h("div", {
    class: "bar", role: "progressbar", "data-testid": "execution-progress",
    "aria-valuemin": 0, "aria-valuemax": 100, "aria-label": `Progress of ${id}`,
  }, card.fill);
  card.cancel = h("button", {
    type: "button", class: "btn btn-sm btn-ghost-danger", "data-testid": "cancel-execution",
    "aria-label": `Cancel ${id}`, onclick: () => cancelExecution(id, card.cancel),
  }, "Cancel");
  const idButton = h("button", {
    type: "button", class: "exec-id", title: "Show this execution's events in the log",
    onclick: () => setFilter(ui.filterTopic, `executions/${id}`),
  }, id);
  card.el = h("article", { class: "exec", "data-testid": "execution", "data-id": id, role: "listitem", "aria-label": `Execution ${id}` },
    h("div", { class: "exec-head" },
      h("span", { class: "dot", "aria-hidden": "true" }), idButton, card.workflow, card.status,
      h("span", { class: "spacer" }), card.since, card.actions),
    h("div", { class: "exec-progress" }, card.bar, card.percent),
    card.error,
    card.agents);
  return card;
}

function updateCard(card, execution) {
  const { last } = card;
  if (last.status !== execution.status) {
    last.status = execution.status;
    card.el.dataset.status = execution.status;
    card.bar.dataset.status = execution.status;
    setText(card.status, execution.status);
    if (execution.status === "running") {
      card.cancel.disabled = false;
      setText(card.cancel, "Cancel");
      card.actions.append(card.cancel);
    } else {
      card.cancel.remove();
    }
  }
  if (last.percent !== execution.percent) {
    last.percent = execution.percent;
    setProgress(card.bar, card.fill, execution.percent);
    setText(card.percent, formatPercent(execution.percent));
  }
  setText(card.workflow, execution.workflow || "—");
  if (last.startedAt !== execution.startedAt) {
    last.startedAt = execution.startedAt;
    card.since.dateTime = new Date(execution.startedAt).toISOString();
    card.since.title = `Started ${new Date(execution.startedAt).toLocaleString()}`;
  }
  updateSince(card, execution);
  card.error.hidden = !execution.error;
  setText(card.error, execution.error ?? "");
  renderAgents(card, execution);
}

function updateSince(card, execution) {
  const ago = formatAgo(execution.startedAt);
  const text = execution.finishedAt
    ? `${ago} · took ${formatDuration(execution.finishedAt - execution.startedAt)}`
    : `${ago} · ${formatDuration(Date.now() - execution.startedAt)}`;
  setText(card.since, text);
}

function renderAgents(card, execution) {
  for (const agent of [...execution.agents.values()].sort((a, b) => compareIds(a.id, b.id))) {
    let chip = card.agentViews.get(agent.id);
    if (!chip) {
      chip = createAgentChip(execution.id, agent);
      card.agentViews.set(agent.id, chip);
      const next = [...card.agents.children].find((el) => compareIds(el.dataset.id, agent.id) > 0);
      card.agents.insertBefore(chip.el, next ?? null);
    }
    updateAgentChip(chip, agent);
  }
}

function createAgentChip(executionId, agent) {
  const chip = {
    role: h("span", { class: "agent-role" }),
    status: h("span", { class: "agent-status", "data-testid": "agent-status" }),
    percent: h("span", { class: "agent-pct" }),
    step: h("span", { class: "agent-step" }),
    fill: h("div", { class: "bar-fill" }),
    last: {},
  };
  chip.bar = h("div", {
    class: "bar bar-thin", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
    "aria-label": `Progress of ${agent.id} of ${executionId}`,
  }, chip.fill);
  chip.el = h("div", { class: "agent", "data-testid": "agent", "data-id": agent.id, role: "listitem" },
    h("div", { class: "agent-line" }, chip.role, chip.status, chip.percent),
    chip.step,
    chip.bar);
  return chip;
}

function updateAgentChip(chip, agent) {
  if (chip.last.status !== agent.status) {
    chip.last.status = agent.status;
    chip.el.dataset.status = agent.status;
    setText(chip.status, agent.status);
  }
  if (chip.last.percent !== agent.percent) {
    chip.last.percent = agent.percent;
    chip.el.dataset.percent = String(agent.percent);
    setProgress(chip.bar, chip.fill, agent.percent);
    setText(chip.percent, formatPercent(agent.percent));
  }
  setText(chip.role, agent.role);
  if (chip.last.step !== agent.step) {
    chip.last.step = agent.step;
    setText(chip.step, agent.step ?? "");
    chip.step.title = agent.step ?? "";
  }
}

function renderExecutionCounts() {
  const counts = { all: executions.size, running: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const execution of executions.values()) counts[execution.status] = (counts[execution.status] ?? 0) + 1;
  for (const el of ui.statusFilter.querySelectorAll("[data-count]")) setText(el, String(counts[el.dataset.count] ?? 0));
  ui.execEmpty.hidden = executions.size > 0;
  setText(ui.execEmptyTitle, view.snapshotSeen ? "No executions yet" : "Waiting for the snapshot…");
}

/** Every second: the relative start times. */
function tickClocks() {
  for (const [id, card] of view.cards) {
    const execution = executions.get(id);
    if (execution) updateSince(card, execution);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Event log: newest first, at most LOG_LIMIT event rows; the filters only hide rows

const log = {
  rows: 0,                       // event rows in the list
  shown: 0,                      // event rows the filters let through
  notices: 0,                    // notice rows in the list
  filterType: "",
  filterTopic: "",
  events: new WeakMap(),         // row -> event, for the details view
  proto: h("li", { class: "row", "data-testid": "event-row" },
    h("span", { class: "c-seq" }), h("span", { class: "c-time" }),
    h("span", { class: "c-type", title: "Filter by this type" }),
    h("span", { class: "c-topic", title: "Filter by this topic" }),
    h("span", { class: "c-sum" })),
};

function queueLog(item) {
  view.pending.push(item);
  // A burst larger than the log: only the newest rows would survive the trim anyway.
  if (view.pending.length > LOG_LIMIT * 2) view.pending.splice(0, view.pending.length - LOG_LIMIT);
  scheduleFlush();
}

function logNotice(kind, text) {
  queueLog({ notice: text, kind, time: Date.now() });
}

function renderLog() {
  if (view.pending.length === 0) return;
  const items = view.pending.splice(0).slice(-LOG_LIMIT);
  const fragment = document.createDocumentFragment();
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    fragment.append(item.event ? createEventRow(item.event) : createNoticeRow(item));
  }
  ui.log.prepend(fragment);
  trimLog();
  renderLogCount();
}

function createEventRow(event) {
  const row = log.proto.cloneNode(true);
  const [seq, time, type, topic, summary] = row.children;
  const position = `${event.epoch}:${event.seq}`;
  row.dataset.seq = String(event.seq);
  row.dataset.position = position;
  row.dataset.type = event.type;
  row.dataset.topic = event.topic;
  row.dataset.category = event.type.split(".")[0];
  if (/\.(failed|timed_out)$/.test(event.type)) row.dataset.outcome = "bad";
  seq.textContent = String(event.seq);
  seq.title = position;
  const at = Date.parse(event.time) || Date.now();
  time.append(formatClock(at), h("span", { class: "ms" }, formatMillis(at)));
  time.title = event.time;
  type.textContent = event.type;
  topic.textContent = event.topic;
  summary.textContent = summarize(event.data);
  log.events.set(row, event);
  log.rows++;
  row.hidden = !rowMatches(row);
  if (!row.hidden) log.shown++;
  return row;
}

function createNoticeRow(item) {
  log.notices++;
  return h("li", { class: "row notice", "data-testid": "log-notice", "data-kind": item.kind },
    h("span", { class: "c-seq", "aria-hidden": "true" }, "◆"),
    h("span", { class: "c-time" }, formatClock(item.time), h("span", { class: "ms" }, formatMillis(item.time))),
    h("span", { class: "notice-text", title: item.notice }, item.notice));
}

function trimLog() {
  while (log.rows > LOG_LIMIT && ui.log.lastElementChild) {
    const row = ui.log.lastElementChild;
    if (row.dataset.testid === "event-row") {
      log.rows--;
      if (!row.hidden) log.shown--;
    }
    row.remove();
  }
  // Notices are few, but a long outage repeats them: keep the newest NOTICE_LIMIT.
  if (log.notices <= NOTICE_LIMIT) return;
  const notices = ui.log.querySelectorAll('[data-testid="log-notice"]');
  for (let i = notices.length - 1; i >= NOTICE_LIMIT; i--) notices[i].remove();
  log.notices = Math.min(notices.length, NOTICE_LIMIT);
}

function rowMatches(row) {
  return (!log.filterType || row.dataset.type.toLowerCase().includes(log.filterType))
    && (!log.filterTopic || row.dataset.topic.toLowerCase().includes(log.filterTopic));
}

function applyFilters() {
  log.filterType = ui.filterType.value.trim().toLowerCase();
  log.filterTopic = ui.filterTopic.value.trim().toLowerCase();
  const filtering = Boolean(log.filterType || log.filterTopic);
  ui.log.classList.toggle("filtering", filtering);
  log.shown = 0;
  for (const row of ui.log.querySelectorAll('[data-testid="event-row"]')) {
    row.hidden = !rowMatches(row);
    if (!row.hidden) log.shown++;
  }
  renderLogCount();
}

function renderLogCount() {
  const filtering = log.filterType || log.filterTopic;
  setText(ui.logCount, filtering ? `${log.shown} of ${log.rows} events` : `${log.rows} event${log.rows === 1 ? "" : "s"}`);
}

function setFilter(input, value) {
  input.value = value;
  applyFilters();
  input.focus();
}

function onLogClick(e) {
  const row = e.target.closest('[data-testid="event-row"]');
  if (!row) return;
  if (e.target.closest(".c-type")) return setFilter(ui.filterType, row.dataset.type);
  if (e.target.closest(".c-topic")) return setFilter(ui.filterTopic, row.dataset.topic);
  const open = row.querySelector(".row-detail");
  if (open) {
    open.remove();
    row.classList.remove("open");
  } else {
    row.classList.add("open");
    row.append(h("pre", { class: "row-detail" }, JSON.stringify(log.events.get(row), null, 2)));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Connection

const dashboard = { client: null, executions };
window.dashboard = dashboard;

const session = {
  generation: 0,       // callbacks of a closed client are ignored
  offs: [],                // removes the listeners of the current client
  reloadTimer: 0,
  sinceReload: null,   // events received while a reload is on its way, re-applied over it
  drops: 0,
  received: 0,         // events received, for events/s
};

function initialTransport() {
  const wanted = new URLSearchParams(location.search).get("transport");
  return TRANSPORTS.includes(wanted) ? wanted : "websocket";
}

/** Closes the current client (if any) and connects with the transport, subscribing once. */
function start(transport) {
  stop();
  const generation = ++session.generation;
  const live = (fn) => (...args) => { if (generation === session.generation) fn(...args); };
  const client = connect(PREFIX, { transport, hubUrl: `${PREFIX}/hub` });
  dashboard.client = client;
  session.offs = [
    client.on("state", live(onState)),
    client.on("welcome", live(() => renderConnection())),
    client.on("error", live(onClientError)),
  ].filter((off) => typeof off === "function");
  subscribe(client, live);
  renderConnection();
}

function stop() {
  const client = dashboard.client;
  if (!client) return;
  session.generation++;
  for (const off of session.offs) off();
  session.offs = [];
  client.close();
}

function subscribe(client, live) {
  client.subscribe(
    { id: "dashboard", topics: ["executions/**"], snapshot: true },
    live(onEvent),
    { onSubscribed: live(onSubscribed), onOverflow: live(onOverflow), onError: live(onSubscriptionError), onEnd: live((reason) => onEnd(client, live, reason)) });
}

function onEvent(event) {
  session.received++;
  applyEvent(event);
  session.sinceReload?.push(event); // a reload in flight re-applies it over the state it fetched
  queueLog({ event });
}

function onSubscribed(message) {
  const snapshot = (message.snapshots ?? []).find((s) => Array.isArray(s?.state?.executions));
  if (snapshot) {
    view.snapshotSeen = true;
    replaceExecutions(snapshot.state.executions);
    logNotice("snapshot", `snapshot: ${snapshot.state.executions.length} executions at ${snapshot.position ?? message.position}`);
  } else {
    logNotice("subscribed", `resumed after ${message.position}${message.resume ? ` (${message.resume})` : ""}`);
  }
}

function onOverflow(notice) {
  const dropped = Number(notice.dropped) || 0;
  session.drops += dropped;
  ui.drops.dataset.value = String(session.drops);
  setText(ui.drops, String(session.drops));
  const range = notice.first ? ` ${notice.first} … ${notice.last}` : "";
  logNotice("overflow", `gap (${notice.reason}): ${notice.dropped ?? "unknown number of"} events missed${range}; reloading state`);
  scheduleReload();
}

/** A refused subscribe: the client reports it on "error" too (logged there); tell the user once more, loudly. */
function onSubscriptionError(error) {
  toast(`The dashboard's subscription was refused: ${error.message ?? error.code}`, "error");
}

/** The server ended the subscription: after "lagging" or "failed", subscribe again (with a new snapshot). */
function onEnd(client, live, reason) {
  logNotice("ended", `subscription ended: ${reason}`);
  if (reason === "lagging" || reason === "failed") {
    setTimeout(live(() => subscribe(client, live)), 1000);
  }
}

let lastError = { text: "", at: 0 };
function onClientError(error) {
  const text = `${error?.code ?? "error"}: ${error?.message ?? error}`;
  if (text === lastError.text && Date.now() - lastError.at < 5000) return; // a failing reconnect loop repeats itself
  lastError = { text, at: Date.now() };
  logNotice("error", text);
}

function onState(change) {
  renderConnection(change);
  const { state, attempt, delayMs, reason } = change ?? {};
  if (state === "open") logNotice("connected", `connected via ${dashboard.client.transport}${dashboard.client.connectionId ? ` as ${dashboard.client.connectionId}` : ""}`);
  else if (state === "reconnecting") logNotice("disconnected", `reconnecting${retryText(attempt, delayMs)}${reason ? `: ${reason}` : ""}`);
  else if (state === "offline" || state === "closed") logNotice("disconnected", state + (reason ? `: ${reason}` : ""));
}

function retryText(attempt, delayMs) {
  const parts = [];
  if (delayMs != null) parts.push(`in ${(delayMs / 1000).toFixed(1)} s`);
  if (attempt) parts.push(`attempt ${attempt}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/**
 * After a gap the model may be wrong: take the current state from the API. Events that arrive while the request is on
 * its way may be newer than what it returns, so they are applied again on top of it (applying is idempotent).
 */
function scheduleReload() {
  clearTimeout(session.reloadTimer);
  session.reloadTimer = setTimeout(async () => {
    const sinceReload = session.sinceReload = [];
    try {
      const response = await fetch("/api/executions", { cache: "no-store" });
      if (response.ok) {
        const states = await response.json();
        if (session.sinceReload === sinceReload) {
          replaceExecutions(states);
          for (const event of sinceReload) applyEvent(event);
        }
      }
    } catch {
      // The next gap or the next snapshot tries again.
    } finally {
      if (session.sinceReload === sinceReload) session.sinceReload = null;
    }
  }, 300);
}

function renderConnection(change) {
  const client = dashboard.client;
  const state = client?.state ?? "connecting";
  const label = STATE_LABELS[state] ?? state;
  setText(ui.connState, label);
  ui.connState.dataset.state = state;
  ui.conn.dataset.state = state;
  ui.conn.title = `${label} via ${client?.transport ?? ui.transport.value}`;
  setText(ui.connectionId, client?.connectionId ?? "—");
  ui.connectionId.title = client?.connectionId ?? "";
  renderPosition();
  renderBanner(state, change);
}

function renderPosition() {
  const position = dashboard.client?.lastPosition ?? "—";
  setText(ui.lastPosition, position);
}

function renderBanner(state, change = {}) {
  const stale = executions.size ? " The executions below may be out of date." : "";
  let text = "";
  if (state === "reconnecting") {
    text = `Connection lost — reconnecting${retryText(change.attempt, change.delayMs)}.${stale}`;
  } else if (state === "offline") {
    text = `Offline${change.reason ? ` — ${change.reason.replace(/\.$/, "")}` : ""}.${stale}`;
  } else if (state === "closed") {
    text = `Connection closed.${stale}`;
  }
  ui.banner.hidden = !text;
  ui.banner.dataset.state = state;
  setText(ui.bannerText, text);
  ui.reconnectNow.hidden = !(state === "offline" || (state === "reconnecting" && change.delayMs > 3000));
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: start, cancel, stats

async function startExecution() {
  ui.start.setAttribute("aria-busy", "true");
  try {
    const agents = ui.agentCount.value ? Number(ui.agentCount.value) : undefined;
    const response = await fetch("/api/executions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(agents ? { agents } : {}),
    });
    if (!response.ok) throw new Error(await problem(response));
    addExecution(await response.json());
  } catch (error) {
    toast(`Could not start an execution: ${error.message}`, "error");
  } finally {
    ui.start.removeAttribute("aria-busy");
  }
}

async function cancelExecution(id, button) {
  button.disabled = true;
  setText(button, "Cancelling…");
  try {
    const response = await fetch(`/api/executions/${encodeURIComponent(id)}/cancel`, { method: "POST" });
    if (response.status === 409) return; // it finished meanwhile; its event is on the way
    if (!response.ok) throw new Error(await problem(response));
  } catch (error) {
    button.disabled = false;
    setText(button, "Cancel");
    toast(`Could not cancel ${id}: ${error.message}`, "error");
  }
}

async function problem(response) {
  try {
    const body = await response.json();
    return body.detail ?? body.message ?? body.title ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function pollStats() {
  try {
    const response = await fetch(`${PREFIX}/admin/stats`, { cache: "no-store", headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const stats = await response.json();
    setText(ui.connections, String(stats.connections ?? "—"));
    ui.connections.title = `${stats.subscriptions} subscriptions on this node · log at ${stats.position} · dispatcher lag ${stats.dispatcher?.lag ?? "?"}`;
  } catch (error) {
    setText(ui.connections, "—");
    ui.connections.title = `The management endpoint refused (${error.message}): it answers local requests only.`;
  } finally {
    setTimeout(pollStats, STATS_INTERVAL_MS);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Counters and toasts

const rate = { history: new Array(RATE_HISTORY).fill(0), lastCount: 0 };

/** Every second: events/s over the last three seconds, and the sparkline of the last minute. */
function tickRate() {
  const count = session.received - rate.lastCount;
  rate.lastCount = session.received;
  rate.history.push(count);
  rate.history.shift();
  const recent = rate.history.slice(-3);
  setText(ui.eps, formatRate(recent.reduce((a, b) => a + b, 0) / recent.length));
  const max = Math.max(1, ...rate.history);
  ui.spark.setAttribute("points", rate.history.map((v, i) => `${i},${(17 - (v / max) * 16).toFixed(1)}`).join(" "));
}

function toast(message, kind = "info") {
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  ui.toasts.append(el);
  setTimeout(() => el.remove(), 5000);
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

function onTransportChange() {
  const transport = ui.transport.value;
  const url = new URL(location.href);
  url.searchParams.set("transport", transport);
  history.replaceState(null, "", url);
  logNotice("disconnected", `switching to ${transport}`);
  start(transport);
}

function onStatusFilter(e) {
  const button = e.target.closest("button[data-status]");
  if (!button) return;
  for (const other of ui.statusFilter.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === button));
  ui.execList.dataset.filter = button.dataset.status;
}

function onKey(e) {
  const typing = e.target.closest?.("input, select, textarea");
  if (e.key === "/" && !typing) {
    e.preventDefault();
    ui.filterType.focus();
  } else if (e.key === "Escape" && (e.target === ui.filterType || e.target === ui.filterTopic)) {
    setFilter(e.target, "");
  }
}

/**
 * Chromium keeps a page it puts in the back/forward cache connected (the server goes on counting and feeding it): close
 * the client when the page is hidden, and start afresh (a new snapshot) if it is shown again from that cache.
 */
function onPageHide() {
  stop();
}

function onPageShow(e) {
  if (e.persisted) start(ui.transport.value);
}

function main() {
  ui.transport.value = initialTransport();
  ui.transport.addEventListener("change", onTransportChange);
  ui.start.addEventListener("click", startExecution);
  ui.reconnectNow.addEventListener("click", () => dashboard.client?.reconnect());
  ui.statusFilter.addEventListener("click", onStatusFilter);
  ui.filterType.addEventListener("input", applyFilters);
  ui.filterTopic.addEventListener("input", applyFilters);
  ui.log.addEventListener("click", onLogClick);
  document.addEventListener("keydown", onKey);
  window.addEventListener("pagehide", onPageHide);
  window.addEventListener("pageshow", onPageShow);
  setInterval(tickRate, 1000);
  setInterval(tickClocks, 1000);
  renderExecutionCounts();
  start(ui.transport.value);
  pollStats();
}

main();
