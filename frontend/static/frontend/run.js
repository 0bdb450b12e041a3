/* One payout run: progress while it screens and computes, the holds queue with evidence and
   decisions, totals, and finalize with a confirmation step. All through the JSON API. */
"use strict";

(function () {
  const page = Kx.data("run-page");
  if (!page) return;
  const base = "/api/v1/payout-runs/" + encodeURIComponent(page.run);
  const ACTIVE = ["queued", "screening", "computing"];
  const STEPS = {
    queued: "Queued: waiting for a worker to pick the run up.",
    screening: "Screening the month's listening for unusual patterns…",
    review: "Waiting for your decisions on the held listeners below.",
    computing: "Computing every listener's pool and every payee's amount…",
    computed: "Computed. Check the totals and holds, then finalize.",
    finalized: "Finalized. The month is closed and statements are issued.",
    failed: "The run failed: see why below.",
  };
  let run = Kx.data("run-data") || {};
  let holds = Kx.data("holds-data") || [];
  const evidence = {}; // hold id -> evidence, kept when a refresh answers without it
  const holdCharts = {};

  // ------------------------------------------------------------------ run status and totals

  function renderRun() {
    const status = run.status || "queued";
    const badge = document.getElementById("run-status");
    badge.className = "badge " + status;
    badge.textContent = status;
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
    renderComparison();
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
      Kx.setText("start-again-note", Kx.errorText(result));
      button.disabled = false;
    });
  }

  function renderComparison() {
    const box = document.getElementById("comparison");
    const comparison = run.comparison;
    if (!comparison) return;
    box.replaceChildren();
    const totals = document.createElement("dl");
    totals.className = "kpis";
    [["User-centric (this run)", comparison.total_user_centric], ["Pro-rata", comparison.total_pro_rata],
     ["Progressive", comparison.total_progressive]].forEach(function (pair) {
      const div = document.createElement("div");
      div.className = "kpi";
      const dt = document.createElement("dt");
      dt.textContent = pair[0];
      const dd = document.createElement("dd");
      dd.textContent = Kx.money(pair[1]);
      div.append(dt, dd);
      totals.appendChild(div);
    });
    box.appendChild(totals);
    const intro = document.createElement("p");
    intro.className = "small muted";
    intro.textContent = "The same pools shared by each model. Artists whose pay differs most between user-centric and pro-rata:";
    box.appendChild(intro);
    const wrap = document.createElement("div");
    wrap.className = "table-scroll";
    const table = document.createElement("table");
    table.id = "comparison-table";
    const head = table.createTHead().insertRow();
    ["Artist", "User-centric", "Pro-rata", "Progressive", "Difference", "Statement"].forEach(function (label, i) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = label;
      if (i && i < 5) th.className = "num";
      head.appendChild(th);
    });
    const body = table.createTBody();
    (comparison.payees || []).forEach(function (r) {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = r.name || r.payee;
      tr.appendChild(th);
      [r.amount, r.pro_rata_amount, r.progressive_amount, r.difference].forEach(function (value) {
        const td = tr.insertCell();
        td.className = "num";
        td.textContent = Kx.money(value);
      });
      const link = document.createElement("a");
      link.href = base + "/statements/" + encodeURIComponent(r.payee) + ".csv";
      link.textContent = "CSV";
      link.setAttribute("download", "");
      link.setAttribute("aria-label", "Statement of " + (r.name || r.payee) + " (CSV)");
      tr.insertCell().appendChild(link);
    });
    wrap.appendChild(table);
    box.appendChild(wrap);
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

  function renderHolds() {
    const list = document.getElementById("holds-list");
    const template = document.getElementById("hold-template");
    const waiting = holds.filter(function (h) { return !h.decision; });
    const decided = holds.filter(function (h) { return h.decision; });
    Kx.setText("holds-summary", holds.length ? Kx.count(waiting.length) + " of " + Kx.count(holds.length) + " waiting" : "");
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
      node.querySelector(".hold-streams").textContent = Kx.count(e.streams !== undefined ? e.streams : hold.streams);
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
      const canvas = node.querySelector(".hold-chart");
      canvas.id = "hold-chart-" + hold.id;
      canvas.setAttribute("aria-label", "Streams per UTC day by listener " + hold.listener);
      const release = node.querySelector(".hold-release");
      const reject = node.querySelector(".hold-reject");
      release.setAttribute("aria-label", "Release listener " + hold.listener);
      reject.setAttribute("aria-label", "Reject listener " + hold.listener);
      release.disabled = reject.disabled = !decidable;
      release.addEventListener("click", function () { decide(hold, "release", node); });
      reject.addEventListener("click", function () { decide(hold, "reject", node); });
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
    const box = document.getElementById("decided");
    box.classList.toggle("hidden", !decided.length);
    const body = document.querySelector("#decided-table tbody");
    body.replaceChildren();
    decided.forEach(function (hold) {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = hold.listener;
      tr.appendChild(th);
      tr.insertCell().textContent = hold.reason;
      const n = tr.insertCell();
      n.className = "num";
      n.textContent = Kx.count(hold.streams);
      const badge = document.createElement("span");
      badge.className = "badge " + hold.decision;
      badge.textContent = decisionLabel(hold.decision);
      tr.insertCell().appendChild(badge);
      tr.insertCell().textContent = hold.decided_by || "";
    });
  }

  async function decide(hold, decision, node) {
    node.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    const result = await Kx.api(base + "/holds/" + encodeURIComponent(hold.id), { method: "POST", body: { decision: decision } });
    if (!result.ok) {
      node.querySelector(".hold-result").textContent = Kx.errorText(result);
      node.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      return;
    }
    hold.decision = decision;
    await refreshHolds();
    await refreshRun();
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
        Kx.setText("finalize-note", Kx.errorText(result));
        button.disabled = false;
        return;
      }
      await refreshRun();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
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
