// imhook inspector: the list of exchanges, live from /api/events, and one
// exchange in full. Everything the page shows of recorded traffic goes in
// as text (textContent), never as markup.
"use strict";

const state = {
  all: [],          // summaries, oldest first
  byId: new Map(),
  lastId: 0,
  selected: 0,
  info: {},
  docs: new Map(),  // command -> Doc
};

// Test hooks: what a headless browser checks.
window.imhookInspector = { ready: false, live: false, errors: [], state };
window.addEventListener("error", (e) => window.imhookInspector.errors.push(String(e.message)));

function el(tag, attrs, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") n.className = v;
    else if (k === "text") n.textContent = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids.flat()) {
    if (c === undefined || c === null || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

const $ = (id) => document.getElementById(id);

async function getJSON(url, opts) {
  const r = await fetch(url, opts);
  const body = await r.json().catch(() => ({ error: r.status + " " + r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function fmtMS(ms) {
  if (!ms) return "";
  if (ms >= 1000) return (ms / 1000).toFixed(2) + "s";
  if (ms >= 10) return Math.round(ms) + "ms";
  return ms.toFixed(2) + "ms";
}

function fmtTime(t) {
  const d = new Date(t);
  return isNaN(d) ? "" : d.toLocaleTimeString([], { hour12: false });
}

function statusClass(code) {
  if (!code) return "st-bad";
  if (code === 200) return "st-ok";
  return code >= 500 ? "st-bad" : "st-other";
}

function verdictBadge(v) {
  return el("span", { class: "badge v-" + (v || "error"), text: v === "error" ? "no reply" : v });
}

// Filters: the same rules as the data API's (Filter.Match).
function filters() {
  return { vendor: $("f-vendor").value, command: $("f-command").value, verdict: $("f-verdict").value, outcome: $("f-outcome").value };
}

function matches(s, f) {
  if (f.vendor && s.vendor !== f.vendor) return false;
  if (f.command && s.command.toLowerCase() !== f.command.toLowerCase()) return false;
  if (f.verdict && s.verdict !== f.verdict) return false;
  if (f.outcome === "none" && s.outcome) return false;
  if (f.outcome && f.outcome !== "none" && s.outcome !== f.outcome) return false;
  return true;
}

function row(s, fresh) {
  const findings = [];
  if (s.errors) findings.push(el("span", { class: "sev-error", title: s.errors + " error(s)", text: s.errors + "E" }));
  if (s.warnings) findings.push(el("span", { class: "sev-warning", title: s.warnings + " warning(s)", text: s.warnings + "W" }));
  const reply = [el("span", { class: statusClass(s.status), text: s.status || "—" })];
  if (s.forwarded) {
    reply.push(el("span", { class: "fw", title: "the backend at " + s.forward_url, text: " ⇢ " + (s.forward_status || "none") }));
  }
  const tr = el("tr", {
    tabindex: "0", "data-id": s.id, "data-verdict": s.verdict, "data-vendor": s.vendor, "aria-selected": String(s.id === state.selected),
    class: fresh ? "fresh" : "", onclick: () => select(s.id),
  },
    el("td", { class: "num", text: s.id }),
    el("td", { text: fmtTime(s.time) }),
    el("td", { text: s.vendor || "—" }),
    el("td", { class: "cmd", text: s.command || s.method + " (not a callback)" }),
    el("td", {}, reply),
    el("td", { class: "num", text: fmtMS(s.latency_ms) }),
    el("td", {}, verdictBadge(s.verdict), findings.length ? [" ", findings.reduce((a, b) => [a, " ", b])] : ""),
    el("td", { text: s.outcome || "" }),
  );
  return tr;
}

function renderList() {
  const f = filters();
  const rows = state.all.filter((s) => matches(s, f)).map((s) => row(s, false));
  $("rows").replaceChildren(...rows);
  $("empty").hidden = state.all.length > 0;
  updateCount(rows.length);
}

function updateCount(shown) {
  if (shown === undefined) shown = $("rows").children.length;
  let t = state.all.length + " exchange" + (state.all.length === 1 ? "" : "s");
  if (shown !== state.all.length) t += ", " + shown + " shown";
  if (state.info.keep) t += " (the last " + state.info.keep + " are kept)";
  $("count").textContent = t;
}

function addCommandOption(cmd) {
  if (!cmd) return;
  const sel = $("f-command");
  const opts = Array.from(sel.options).slice(1);
  if (opts.some((o) => o.value === cmd)) return;
  const o = el("option", { value: cmd, text: cmd });
  const after = opts.find((x) => x.value.localeCompare(cmd) > 0);
  sel.insertBefore(o, after || null);
}

function add(s, live) {
  if (state.byId.has(s.id)) return;
  state.byId.set(s.id, s);
  state.all.push(s);
  state.lastId = Math.max(state.lastId, s.id);
  addCommandOption(s.command);
  if (state.info.keep && state.all.length > state.info.keep) {
    const old = state.all.shift();
    state.byId.delete(old.id);
    const tr = document.querySelector('#rows tr[data-id="' + old.id + '"]');
    if (tr) tr.remove();
  }
  if (live) {
    if (matches(s, filters())) $("rows").append(row(s, true));
    $("empty").hidden = true;
    updateCount();
  }
}

function visibleRows() { return Array.from($("rows").children); }

function move(delta) {
  const rows = visibleRows();
  if (!rows.length) return;
  let i = rows.findIndex((r) => r === document.activeElement);
  if (i < 0) i = rows.findIndex((r) => r.getAttribute("aria-selected") === "true");
  i = Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + delta));
  rows[i].focus();
  rows[i].scrollIntoView({ block: "nearest" });
}

async function select(id) {
  state.selected = id;
  if (location.hash !== "#" + id) history.replaceState(null, "", "#" + id);
  for (const tr of visibleRows()) {
    const on = Number(tr.dataset.id) === id;
    tr.setAttribute("aria-selected", String(on));
    if (on && document.activeElement !== tr) tr.scrollIntoView({ block: "nearest" });
  }
  const d = $("detail");
  try {
    const x = await getJSON("api/exchanges/" + id);
    if (state.selected !== id) return;
    d.replaceChildren(...detail(x));
    d.dataset.id = id;
    const cmd = x.record.command;
    if (cmd) loadDoc(cmd, x.record);
  } catch (e) {
    d.replaceChildren(el("p", { class: "err", text: "Exchange " + id + ": " + e.message }));
  }
}

function kvTable(pairs) {
  return el("table", { class: "kv" }, pairs.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v }))));
}

function headerPairs(h) {
  const out = [];
  for (const k of Object.keys(h || {}).sort()) for (const v of h[k]) out.push([k, v]);
  return out;
}

function queryPairs(url) {
  try {
    const u = new URL(url);
    return Array.from(u.searchParams.entries());
  } catch (_) {
    return [];
  }
}

function findingsTable(fs, id) {
  if (!fs || !fs.length) return el("p", { class: "note", text: "No findings." });
  return el("table", { class: "findings", id },
    el("thead", {}, el("tr", {}, el("th", { text: "severity" }), el("th", { text: "rule" }), el("th", { text: "path" }), el("th", { text: "message" }))),
    el("tbody", {}, fs.map((f) => el("tr", { "data-rule": f.rule, "data-severity": f.severity },
      el("td", { class: "sev-" + f.severity, text: f.severity }),
      el("td", { class: "rule", text: f.rule }),
      el("td", { class: "path", text: f.path || "" }),
      el("td", {}, el("div", { text: f.message }), el("div", { class: "explain", "data-explain": f.rule }))))));
}

function detail(x) {
  const r = x.record, s = x.summary;
  const bodies = x.bodies || {};
  const out = [];
  out.push(el("h2", { text: r.command || "(not a callback)" }));
  out.push(el("div", { class: "meta" }, verdictBadge(r.verdict), el("span", { text: r.vendor || "" }),
    r.outcome ? el("span", { text: "outcome: " + r.outcome }) : el("span", { text: "no outcome" }),
    el("span", { text: new Date(r.time).toISOString() }), el("span", { text: "#" + s.id })));

  out.push(el("h3", { text: "Findings" }));
  out.push(findingsTable(r.findings, "findings"));

  if (r.forward) {
    const fw = r.forward;
    out.push(el("h3", { text: "Forwarded to the backend" }));
    out.push(kvTable([["url", fw.url], ["status", fw.status ? String(fw.status) : "none"], ["latency", fmtMS(fw.latency_ms)]]
      .concat(fw.error ? [["error", fw.error]] : [])));
    out.push(el("p", { class: "note", text: "The reply's findings (also among the findings above):" }));
    out.push(findingsTable(fw.findings, "forward-findings"));
  }

  const q = r.request || {};
  out.push(el("h3", { text: "Request" }));
  out.push(kvTable([[q.method || "", q.url || ""]]));
  const qp = queryPairs(q.url);
  if (qp.length) { out.push(el("p", { class: "note", text: "Query" })); out.push(kvTable(qp)); }
  out.push(el("p", { class: "note", text: "Headers" }));
  out.push(kvTable(headerPairs(q.headers)));
  out.push(el("p", { class: "note", text: "Body" }));
  out.push(el("pre", { id: "request-body", text: bodies.request || "" }));

  out.push(el("h3", { text: "Reply" }));
  if (r.response) {
    out.push(kvTable([["status", String(r.response.status)], ["latency", fmtMS(r.response.latency_ms)]].concat(headerPairs(r.response.headers))));
    out.push(el("pre", { id: "response-body", text: bodies.response || "" }));
  } else {
    out.push(el("p", { class: "err", text: r.error || "no reply" }));
  }

  out.push(el("h3", { text: "About this callback" }));
  out.push(el("details", { id: "doc" }, el("summary", { text: "What imhook checks (fixtures show " + (r.command || "") + " --doc)" }),
    el("pre", { id: "doc-text", text: r.command ? "loading…" : "Not a callback imhook knows." })));

  if (state.info.resend && r.command) out.push(...resendForm(s.id));
  return out;
}

async function loadDoc(cmd, rec) {
  let d = state.docs.get(cmd);
  if (!d) {
    try { d = await getJSON("api/doc/" + encodeURIComponent(cmd)); } catch (e) { d = { text: e.message, rules: {} }; }
    state.docs.set(cmd, d);
  }
  const t = $("doc-text");
  if (t) t.textContent = d.text;
  for (const n of document.querySelectorAll("#detail [data-explain]")) {
    const why = d.rules && d.rules[n.dataset.explain];
    if (why) n.textContent = "Rule " + why;
  }
}

function resendForm(id) {
  const target = el("input", { type: "url", id: "resend-target", "aria-label": "Target URL", value: state.info.default_target || "", placeholder: "http://127.0.0.1:8080/callback" });
  const resign = el("input", { type: "checkbox", id: "resend-resign", disabled: !state.info.can_resign });
  const result = el("div", { id: "resend-result", "aria-live": "polite" });
  const go = el("button", { type: "submit", text: "Resend" });
  const form = el("form", { class: "resend", onsubmit: async (e) => {
    e.preventDefault();
    go.disabled = true;
    result.replaceChildren(el("p", { class: "note", text: "sending…" }));
    try {
      const res = await getJSON("api/exchanges/" + id + "/resend", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ target: target.value, resign: resign.checked }),
      });
      if (res.problem) { result.replaceChildren(el("p", { class: "err", text: res.problem })); return; }
      const n = res.record;
      result.replaceChildren(
        el("div", { class: "meta" }, verdictBadge(n.verdict),
          el("span", { class: statusClass(n.response && n.response.status), text: n.response ? "HTTP " + n.response.status : (n.error || "no reply") }),
          n.response ? el("span", { text: fmtMS(n.response.latency_ms) }) : "", n.outcome ? el("span", { text: "outcome: " + n.outcome }) : ""),
        findingsTable(n.findings, "resend-findings"));
    } catch (err) {
      result.replaceChildren(el("p", { class: "err", text: err.message }));
    } finally {
      go.disabled = false;
    }
  } }, el("label", { for: "resend-target", text: "Target" }), target,
    el("label", {}, resign, " fresh signature (--resign)"), go);
  return [el("h3", { text: "Resend (as imhook replay does)" }), form, result];
}

function connect() {
  const es = new EventSource("api/events?after=" + state.lastId);
  es.addEventListener("open", () => {
    $("conn").textContent = "live"; $("conn").className = "conn live";
    window.imhookInspector.live = true;
  });
  es.addEventListener("exchange", (e) => add(JSON.parse(e.data), true));
  es.addEventListener("error", () => {
    $("conn").textContent = "reconnecting…"; $("conn").className = "conn down";
    window.imhookInspector.live = false;
    // EventSource reconnects by itself, resuming after the last id it saw.
  });
}

document.addEventListener("keydown", (e) => {
  const tag = (e.target.tagName || "").toLowerCase();
  const typing = tag === "input" || tag === "select" || tag === "textarea";
  if (e.key === "/" && !typing) { e.preventDefault(); $("f-vendor").focus(); return; }
  if (typing) return;
  if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); move(1); }
  else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); move(-1); }
  else if (e.key === "Enter" && e.target.closest && e.target.closest("#rows tr")) {
    e.preventDefault(); select(Number(e.target.closest("tr").dataset.id));
  }
});

async function start() {
  // Opened as /?token=TOKEN: the cookie set with this page holds the token
  // now; it leaves the address bar and the history.
  const q = new URLSearchParams(location.search);
  if (q.has("token")) {
    q.delete("token");
    const rest = q.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
  for (const id of ["f-vendor", "f-command", "f-verdict", "f-outcome"]) $(id).addEventListener("change", renderList);
  $("filters").addEventListener("reset", () => setTimeout(renderList, 0));
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  try {
    state.info = await getJSON("api/info");
    const list = await getJSON("api/exchanges");
    for (const s of list.exchanges) add(s, false);
    renderList();
    const m = /^#(\d+)$/.exec(location.hash);
    if (m && state.byId.has(Number(m[1]))) await select(Number(m[1]));
  } catch (e) {
    $("conn").textContent = "error: " + e.message; $("conn").className = "conn down";
  }
  // ?live=0 shows the exchanges kept and does not follow new ones (a
  // still picture: chromium --screenshot waits for open connections).
  if (new URLSearchParams(location.search).get("live") === "0") {
    $("conn").textContent = "still"; $("conn").className = "conn";
  } else {
    connect();
  }
  window.imhookInspector.ready = true;
  document.body.dataset.ready = "1";
}

start();
