/* One payout run: progress while it screens and computes, the holds queue with evidence and
   decisions, totals, and finalize with a confirmation step. All through the JSON API. */
"use strict";

(function () {
  const page = Kx.data("run-page");
  if (!page) return;
  const base = "/api/v1/payout-runs/" + encodeURIComponent(page.run);
  const ACTIVE = ["queued", "screening", "computing"];
  const DONE = ["computed", "finalized"];
  const STEPS = {
    queued: "Queued: waiting for a worker to pick the run up.",
    screening: "Screening the month's listening for unusual patterns…",
    review: "Waiting for your decisions on the held listeners below.",
    computing: "Computing every listener's pool and every payee's amount…",
    computed: "Computed. Check the totals and holds, then finalize.",
    finalized: "Finalized. The month is closed and statements are issued.",
    failed: "The run failed: see why below.",
  };
  const LABELS = Kx.data("status-labels") || {};
  let run = Kx.data("run-data") || {};
  let holds = Kx.data("holds-data") || [];
  const evidence = {}; // hold id -> evidence, kept when a refresh answers without it
  const holdCharts = {};

  // ------------------------------------------------------------------ run status and totals

  function renderRun() {
    const status = run.status || "queued";
    const badge = document.getElementById("run-status");
    badge.className = "badge " + status;
    badge.dataset.status = status;
    badge.textContent = LABELS[status] || status;
    const progress = Number(run.progress || 0);
    document.getElementById("run-progress").value = progress;
    Kx.setText("run-percent", Math.round(progress * 100) + "%");
    // A run no worker has picked up says so, with the command that fixes it.
    Kx.setText("run-step", run.waiting || STEPS[status] || status);
    document.getElementById("run-step").classList.toggle("error", Boolean(run.waiting));
    const totals = run.totals || {};
    Kx.setText("t-pools", Kx.money(totals.pools));
    Kx.setText("t-allocated", Kx.money(totals.allocated));
    Kx.setText("t-suspense", Kx.money(totals.suspense));
    Kx.setText("t-retained", Kx.money(totals.retained));
    Kx.setText("t-holds", Kx.count(totals.holds_pending || 0));
    const button = document.getElementById("finalize-button");
    // The server refuses a month that is not over too; this says so before anyone asks.
    const payableFrom = run.payable_from ? new Date(run.payable_from) : null;
    const tooEarly = payableFrom !== null && Date.now() < payableFrom.getTime();
    button.disabled = status !== "computed" || tooEarly;
    let note = "";
    if (status === "finalized") note = "This run is finalized.";
    else if (status === "review") note = "Decide every hold first; the run then computes and can be finalized.";
    else if (status !== "computed") note = "Available once the run has computed.";
    else if (tooEarly) note = "The month is not over yet: it can be finalized from " + payableFrom.toUTCString() + ".";
    Kx.setText("finalize-note", note);
    const payees = Number(totals.payees || 0);
    const decided = run.holds || {};
    Kx.setText("confirm-amount", Kx.money(totals.allocated));
    Kx.setText("confirm-payees", Kx.count(payees) + (payees === 1 ? " payee" : " payees"));
    Kx.setText(
      "confirm-holds",
      decided.total
        ? Kx.count(decided.released || 0) + " released, " + Kx.count(decided.rejected || 0) + " rejected"
        : "none were held"
    );
    document.getElementById("failed").classList.toggle("hidden", status !== "failed");
    if (status === "failed") Kx.setText("failure-reason", run.failure_reason || "No reason was recorded.");
  }

  /* A failed run is never resumed: starting its month again makes a new run (the same
     request as the console's start form), and the page moves to it. */
  function startAgainFlow() {
    const button = document.getElementById("start-again");
    if (!button) return;
    button.addEventListener("click", async function () {
      button.disabled = true;
      Kx.setText("start-again-note", "Starting…");
      const result = await Kx.api("/api/v1/payout-runs", { method: "POST", body: { month: run.month } });
      if (result.ok && result.data && result.data.id !== undefined) {
        window.location.assign("/console/runs/" + encodeURIComponent(result.data.id) + "/");
        return;
      }
      Kx.setText("start-again-note", problemText(result));
      button.disabled = false;
    });
  }

  /* An API refusal in the page's words: the message, without the API's field names. */
  function problemText(result) {
    const d = result && result.data;
    if (!d || typeof d !== "object") return Kx.errorText(result);
    if (d.detail) return String(d.detail);
    return Object.keys(d).map(function (k) { return [].concat(d[k]).join(" "); }).join(" ");
  }

  // ------------------------------------------------------------------ holds

  function perDay(e) {
    const raw = e && (e.streams_per_day || e.per_day || e.daily);
    if (!raw) return [];
    if (Array.isArray(raw)) {
      return raw.map(function (d) { return { day: String(d.day || d.date), streams: Number(d.streams || d.count || 0) }; });
    }
    return Object.keys(raw).sort().map(function (day) { return { day: day, streams: Number(raw[day]) }; });
  }

  function topTracks(e) {
    return ((e && e.top_tracks) || []).map(function (t) {
      const title = t.title || (page.titles || {})[t.isrc];
      return { name: title ? title + " (" + t.isrc + ")" : String(t.isrc), plays: t.streams || 0, busiest: t.most_in_one_day };
    });
  }

  /* Devices the listener used, with how many listeners each was used by this month. */
  function deviceText(e) {
    const devices = (e && e.devices) || [];
    if (!devices.length) return "No device id reported.";
    return devices.map(function (d) {
      return d.device + " (" + Kx.count(d.listeners) + (Number(d.listeners) === 1 ? " listener)" : " listeners)");
    }).join(", ");
  }

  function decisionLabel(decision) {
    if (decision === "release") return "Released";
    if (decision === "reject") return "Rejected";
    return "Waiting for a decision";
  }

  /* Exact sums of decimal strings (pools have up to 6 places), as BigInt millionths. */
  const PLACES = 6;
  function micro(value) {
    const text = String(value || "0");
    const negative = text.startsWith("-");
    const parts = (negative ? text.slice(1) : text).split(".");
    const frac = ((parts[1] || "") + "000000").slice(0, PLACES);
    const n = BigInt(parts[0] || "0") * 1000000n + BigInt(frac);
    return negative ? -n : n;
  }
  function exactSum(values) {
    let total = 0n;
    values.forEach(function (v) { total += micro(v); });
    const negative = total < 0n;
    const abs = negative ? -total : total;
    let frac = (abs % 1000000n).toString().padStart(PLACES, "0").replace(/0+$/, "");
    if (frac.length < 2) frac = frac.padEnd(2, "0");
    return (negative ? "-" : "") + (abs / 1000000n).toString() + "." + frac;
  }
  function streamsOf(list) {
    return list.reduce(function (n, h) { return n + Number(h.streams || 0); }, 0);
  }
  function plural(n, one, many) { return Kx.count(n) + " " + (n === 1 ? one : many); }

  const RULE_WORDS = {
    streams_per_day: "Reason: too many streams in one day",
    track_plays_per_day: "Reason: one track played too often in one day",
    shared_device: "Reason: device shared by too many listeners",
  };
  const selected = new Set(); // ids of waiting holds ticked in the cards

  function devicesOf(hold) {
    const e = evidence[hold.id] || hold.evidence || {};
    return ((e.devices) || []).filter(function (d) { return Number(d.listeners) > 1; }).map(function (d) { return d.device; });
  }

  /* Groups of waiting holds that one click can decide: by reason (rule) and by shared device. */
  function groups(waiting) {
    const out = [];
    Object.keys(RULE_WORDS).forEach(function (rule) {
      const members = waiting.filter(function (h) { return (h.rules || []).indexOf(rule) >= 0; });
      if (members.length > 1) out.push({ label: RULE_WORDS[rule], choice: { rule: rule }, holds: members });
    });
    const byDevice = {};
    waiting.forEach(function (h) {
      devicesOf(h).forEach(function (d) { (byDevice[d] = byDevice[d] || []).push(h); });
    });
    Object.keys(byDevice).sort().forEach(function (device) {
      if (byDevice[device].length > 1) out.push({ label: "Device " + device, choice: { device: device }, holds: byDevice[device] });
    });
    return out;
  }

  function renderBulk(waiting, decidable) {
    const box = document.getElementById("bulk");
    box.classList.toggle("hidden", waiting.length < 2 || !decidable);
    const body = document.querySelector("#bulk-table tbody");
    body.replaceChildren();
    groups(waiting).forEach(function (g) {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = g.label;
      tr.appendChild(th);
      [Kx.count(g.holds.length), Kx.count(streamsOf(g.holds)), Kx.moneyCents(exactSum(g.holds.map(function (h) { return h.pool; })))].forEach(function (text) {
        const td = tr.insertCell();
        td.className = "num";
        td.textContent = text;
      });
      const actions = tr.insertCell();
      actions.className = "button-row";
      const n = g.holds.length;
      const release = document.createElement("button");
      release.type = "button";
      release.className = "button good bulk-release";
      release.textContent = "Release " + n;
      release.append(hiddenText(" holds, " + g.label.toLowerCase()));
      const reject = document.createElement("button");
      reject.type = "button";
      reject.className = "button danger bulk-reject";
      reject.textContent = "Reject " + n;
      reject.append(hiddenText(" holds, " + g.label.toLowerCase()), "…");
      release.addEventListener("click", function () { decideMany(g.choice, "release", g.holds, false); });
      reject.addEventListener("click", function () { decideMany(g.choice, "reject", g.holds, false); });
      actions.append(release, reject);
    });
    renderSelected(waiting);
  }

  function hiddenText(text) {
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = text;
    return span;
  }

  function renderSelected(waiting) {
    const chosen = waiting.filter(function (h) { return selected.has(h.id); });
    Kx.setText("selected-summary", chosen.length
      ? plural(chosen.length, "hold", "holds") + " selected: " + plural(streamsOf(chosen), "stream", "streams") + ", " + Kx.moneyCents(exactSum(chosen.map(function (h) { return h.pool; }))) + " of pools at stake."
      : "No hold selected.");
    document.getElementById("release-selected").disabled = !chosen.length;
    document.getElementById("reject-selected").disabled = !chosen.length;
  }

  function selectedHolds() {
    return holds.filter(function (h) { return !h.decision && selected.has(h.id); });
  }

  function renderHolds() {
    const list = document.getElementById("holds-list");
    const template = document.getElementById("hold-template");
    const waiting = holds.filter(function (h) { return !h.decision; });
    const decided = holds.filter(function (h) { return h.decision; });
    Array.from(selected).forEach(function (id) { if (!waiting.some(function (h) { return h.id === id; })) selected.delete(id); });
    Kx.setText("holds-summary", holds.length
      ? Kx.count(waiting.length) + " of " + Kx.count(holds.length) + " waiting · " + Kx.moneyCents(exactSum(waiting.map(function (h) { return h.pool; }))) + " of pools at stake"
      : "");
    holds.forEach(function (hold) { if (hold.evidence) evidence[hold.id] = hold.evidence; });
    Object.keys(holdCharts).forEach(function (id) { holdCharts[id].destroy(); delete holdCharts[id]; });
    if (holds.length) {
      list.replaceChildren();
      if (!waiting.length) {
        const done = document.createElement("p");
        done.className = "empty";
        done.textContent = "Every hold is decided.";
        list.appendChild(done);
      }
    }
    const decidable = run.status === "review";
    renderBulk(waiting, decidable);
    waiting.forEach(function (hold) {
      const e = evidence[hold.id] || {};
      const node = template.content.firstElementChild.cloneNode(true);
      node.id = "hold-" + hold.id;
      node.dataset.hold = hold.id;
      node.dataset.rules = (hold.rules || []).join(" ");
      node.querySelector(".hold-title").textContent = "Listener " + hold.listener;
      const badge = node.querySelector(".hold-decision");
      badge.textContent = decisionLabel(hold.decision);
      badge.classList.add("pending");
      node.querySelector(".hold-reason").textContent = hold.reason;
      node.querySelector(".hold-device").textContent = deviceText(e);
      node.querySelector(".hold-streams").textContent = Kx.count(hold.streams);
      node.querySelector(".hold-pool").textContent = Kx.moneyCents(hold.pool);
      node.querySelector(".hold-pool").title = "Exactly " + Kx.money(hold.pool);
      const tracks = node.querySelector(".hold-tracks tbody");
      const top = topTracks(e);
      if (!top.length) {
        const tr = tracks.insertRow();
        const td = tr.insertCell();
        td.colSpan = 3;
        td.className = "empty";
        td.textContent = "No track evidence.";
      }
      top.forEach(function (t) {
        const tr = tracks.insertRow();
        tr.insertCell().textContent = t.name;
        [Kx.count(t.plays), t.busiest === undefined ? "–" : Kx.count(t.busiest)].forEach(function (text) {
          const td = tr.insertCell();
          td.className = "num";
          td.textContent = text;
        });
      });
      node.querySelector(".table-scroll").setAttribute("aria-label", "Most played tracks of listener " + hold.listener);
      const canvas = node.querySelector(".hold-chart");
      canvas.id = "hold-chart-" + hold.id;
      canvas.setAttribute("aria-label", "Streams per UTC day by listener " + hold.listener);
      const box = node.querySelector(".hold-select");
      box.id = "select-" + hold.id;
      box.checked = selected.has(hold.id);
      box.disabled = !decidable;
      node.querySelector(".select-text").append(hiddenText(" listener " + hold.listener));
      box.addEventListener("change", function () {
        if (box.checked) selected.add(hold.id); else selected.delete(hold.id);
        renderSelected(holds.filter(function (h) { return !h.decision; }));
      });
      const release = node.querySelector(".hold-release");
      const reject = node.querySelector(".hold-reject");
      release.append(hiddenText(" listener " + hold.listener));
      reject.textContent = "Reject";
      reject.append(hiddenText(" listener " + hold.listener), "…");
      release.disabled = reject.disabled = !decidable;
      release.addEventListener("click", function () { decideMany({ holds: [hold.id] }, "release", [hold], false); });
      reject.addEventListener("click", function () { decideMany({ holds: [hold.id] }, "reject", [hold], false); });
      list.appendChild(node);
      const days = perDay(e);
      holdCharts[hold.id] = Kx.chart(canvas.id, {
        type: "bar",
        data: {
          labels: days.map(function (d) { return d.day.slice(5); }),
          datasets: [{ label: "Streams", data: days.map(function (d) { return d.streams; }), backgroundColor: Kx.colors.bad }],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    });
    renderDecided(decided, decidable);
  }

  function when(iso) {
    return iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "";
  }

  function historyText(hold) {
    const trail = hold.history || [];
    if (!trail.length) return hold.decided_by ? decisionLabel(hold.decision) + " by " + hold.decided_by : "";
    return trail.map(function (r) {
      return (r.previous ? "Changed to " + r.decision : decisionLabel(r.decision)) + " by " + r.decided_by + ", " + when(r.decided_at) + (r.chosen_by ? " (" + r.chosen_by + ")" : "");
    }).join("; ");
  }

  function renderDecided(decided, decidable) {
    const box = document.getElementById("decided");
    box.classList.toggle("hidden", !decided.length);
    Kx.setText("decided-note", decidable
      ? "A decision can still be changed: the run has not started computing."
      : "Decisions are final: the run " + (run.status === "review" ? "waits" : "has moved on to " + (LABELS[run.status] || run.status).toLowerCase()) + ".");
    const body = document.querySelector("#decided-table tbody");
    body.replaceChildren();
    decided.forEach(function (hold) {
      const tr = body.insertRow();
      tr.dataset.hold = hold.id;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = hold.listener;
      tr.appendChild(th);
      tr.insertCell().textContent = hold.reason;
      [Kx.count(hold.streams), Kx.moneyCents(hold.pool)].forEach(function (text) {
        const n = tr.insertCell();
        n.className = "num";
        n.textContent = text;
      });
      tr.cells[tr.cells.length - 1].title = "Exactly " + Kx.money(hold.pool);
      const badge = document.createElement("span");
      badge.className = "badge " + hold.decision;
      badge.textContent = decisionLabel(hold.decision);
      tr.insertCell().appendChild(badge);
      const trail = tr.insertCell();
      trail.className = "small history";
      trail.textContent = historyText(hold);
      const cell = tr.insertCell();
      if (decidable) {
        const other = hold.decision === "release" ? "reject" : "release";
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button secondary change-decision";
        button.textContent = other === "reject" ? "Change to reject" : "Change to release";
        button.append(hiddenText(" for listener " + hold.listener));
        if (other === "reject") button.append("…");
        button.addEventListener("click", function () { decideMany({ holds: [hold.id] }, other, [hold], true); });
        cell.appendChild(button);
      }
    });
  }

  /* Reject asks first: what it covers, its streams and pools, and whether it is the last
     decision (after which the run computes and nothing can change). */
  function confirmReject(covered) {
    const dialog = document.getElementById("reject-dialog");
    const waitingAfter = holds.filter(function (h) { return !h.decision && covered.indexOf(h) < 0; }).length;
    const n = covered.length;
    Kx.setText("reject-title", "Reject " + plural(n, "hold", "holds") + "?");
    const text = document.getElementById("reject-text");
    text.replaceChildren();
    const p1 = document.createElement("p");
    p1.textContent = (n === 1 ? "Listener " + covered[0].listener + ": " : "") + plural(streamsOf(covered), "stream", "streams") +
      " will count toward nothing and " + Kx.moneyCents(exactSum(covered.map(function (h) { return h.pool; }))) + " of pools will be retained.";
    const p2 = document.createElement("p");
    p2.textContent = waitingAfter
      ? "You can change this until the run starts computing (" + plural(waitingAfter, "hold is", "holds are") + " still waiting)."
      : "This decides the last waiting holds: the run then starts computing and decisions can no longer change.";
    text.append(p1, p2);
    Kx.setText("confirm-reject", "Yes, reject " + plural(n, "hold", "holds"));
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function () { resolve(dialog.returnValue === "confirm"); }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
    });
  }

  async function decideMany(choice, decision, covered, change) {
    if (decision === "reject" && !(await confirmReject(covered))) return;
    const buttons = document.querySelectorAll("#holds button");
    buttons.forEach(function (b) { b.disabled = true; });
    Kx.setText("bulk-result", "Saving…");
    const body = Object.assign({ decision: decision, change: change }, choice);
    const result = await Kx.api(base + "/holds", { method: "POST", body: body });
    if (!result.ok) {
      Kx.setText("bulk-result", problemText(result));
      buttons.forEach(function (b) { b.disabled = false; });
      await refreshHolds();
      return;
    }
    const r = result.data || {};
    const done = (r.decided || []).length + (r.changed || []).length;
    const kept = (r.kept || []).length;
    covered.forEach(function (h) { selected.delete(h.id); });
    await refreshHolds();
    await refreshRun();
    // Said once the queue shows the outcome.
    Kx.setText("bulk-result", (decision === "release" ? "Released " : "Rejected ") + plural(done, "hold", "holds") + "." +
      (kept ? " " + plural(kept, "hold was", "holds were") + " already decided the other way and kept so." : ""));
    const next = document.querySelector("#holds-list .hold-release:not([disabled])");
    if (next) next.focus();
    else document.getElementById("holds-title").focus();
  }

  async function refreshHolds() {
    const result = await Kx.api(base + "/holds");
    if (result.ok && Array.isArray(result.data)) {
      holds = result.data;
      renderHolds();
    }
  }

  let lastStatus = run.status;
  async function refreshRun() {
    const result = await Kx.api(base);
    if (!result.ok || !result.data) return;
    run = Object.assign({}, run, result.data);
    renderRun();
    if (run.status !== lastStatus) {
      // The comparison and payee table are drawn by the server once the run has computed.
      if (DONE.indexOf(run.status) >= 0 && DONE.indexOf(lastStatus) < 0) {
        window.location.reload();
        return;
      }
      lastStatus = run.status;
      await refreshHolds();
    }
  }

  function finalizeFlow() {
    const button = document.getElementById("finalize-button");
    const dialog = document.getElementById("finalize-dialog");
    button.addEventListener("click", function () {
      if (typeof dialog.showModal === "function") dialog.showModal();
    });
    dialog.addEventListener("close", async function () {
      if (dialog.returnValue !== "confirm") {
        button.focus();
        return;
      }
      button.disabled = true;
      Kx.setText("finalize-note", "Finalizing…");
      const result = await Kx.api(base + "/finalize", { method: "POST", body: {} });
      if (!result.ok) {
        Kx.setText("finalize-note", problemText(result));
        button.disabled = false;
        return;
      }
      await refreshRun();
    });
  }

  function selectedFlow() {
    document.getElementById("release-selected").addEventListener("click", function () {
      const chosen = selectedHolds();
      decideMany({ holds: chosen.map(function (h) { return h.id; }) }, "release", chosen, false);
    });
    document.getElementById("reject-selected").addEventListener("click", function () {
      const chosen = selectedHolds();
      decideMany({ holds: chosen.map(function (h) { return h.id; }) }, "reject", chosen, false);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    selectedFlow();
    renderRun();
    renderHolds();
    finalizeFlow();
    startAgainFlow();
    let elapsed = 0;
    setInterval(function () {
      elapsed += 1;
      if (document.hidden) return;
      // Every second while the run works, every five while it waits for people.
      if (ACTIVE.indexOf(run.status) >= 0 || elapsed % 5 === 0) refreshRun();
    }, 1000);
    refreshRun();
    refreshHolds();
  });
})();
