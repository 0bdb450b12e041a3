/* Payout console: start a run (POST /api/v1/payout-runs) and keep the run list fresh. */
"use strict";

(function () {
  const ACTIVE = ["queued", "screening", "computing"];
  const LABELS = Kx.data("status-labels") || {};
  let runs = Kx.data("runs-data") || [];

  /* An API refusal in the page's words: the messages, without the API's field names. */
  function problemText(result) {
    const d = result && result.data;
    if (!d || typeof d !== "object") return Kx.errorText(result);
    if (d.detail) return String(d.detail);
    return Object.keys(d).map(function (k) { return [].concat(d[k]).join(" "); }).join(" ");
  }

  function runUrl(id) {
    return "/console/runs/" + encodeURIComponent(id) + "/";
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    if (className) td.className = className;
    if (text instanceof Node) td.appendChild(text);
    else td.textContent = text;
    return td;
  }

  function renderWaiting() {
    const note = document.getElementById("runs-waiting");
    const waiting = runs.filter(function (run) { return run.waiting; });
    note.classList.toggle("hidden", !waiting.length);
    note.textContent = waiting.length ? waiting[0].month + ": " + waiting[0].waiting : "";
  }

  function render() {
    renderWaiting();
    const body = document.querySelector("#runs-table tbody");
    body.replaceChildren();
    if (!runs.length) {
      const row = body.insertRow();
      const td = cell(row, "No payout runs yet. Start one above.", "empty");
      td.colSpan = 7;
      return;
    }
    runs.forEach(function (run) {
      const totals = run.totals || {};
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = run.month;
      row.appendChild(th);
      const badge = document.createElement("span");
      badge.className = "badge " + run.status;
      badge.dataset.status = run.status;
      badge.textContent = LABELS[run.status] || run.status;
      cell(row, badge);
      const bar = document.createElement("progress");
      bar.max = 1;
      bar.value = Number(run.progress || 0);
      bar.setAttribute("aria-label", "Progress of the " + run.month + " run");
      cell(row, bar);
      cell(row, Kx.money(totals.pools), "num");
      cell(row, Kx.money(totals.allocated), "num");
      cell(row, Kx.count(totals.holds_pending || 0), "num");
      const link = document.createElement("a");
      link.href = runUrl(run.id);
      link.textContent = "Open";
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " the " + run.month + " run";
      link.appendChild(hidden);
      cell(row, link);
    });
  }

  async function refresh() {
    const result = await Kx.api("/api/v1/payout-runs");
    if (!result.ok) return;
    const list = Array.isArray(result.data) ? result.data : (result.data && result.data.results) || [];
    runs = list;
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("start-form");
    const input = document.getElementById("run-month");
    const error = document.getElementById("run-month-error");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      if (!/^\d{4}-\d{2}$/.test(input.value)) {
        input.setAttribute("aria-invalid", "true");
        error.textContent = "Choose a month, like 2026-10.";
        input.focus();
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const result = await Kx.api("/api/v1/payout-runs", { method: "POST", body: { month: input.value } });
      button.disabled = false;
      if (result.ok && result.data && result.data.id !== undefined) {
        window.location.assign(runUrl(result.data.id));
        return;
      }
      input.setAttribute("aria-invalid", "true");
      error.textContent = problemText(result);
    });
    setInterval(function () {
      if (!document.hidden && runs.some(function (r) { return ACTIVE.indexOf(r.status) >= 0; })) refresh();
    }, 3000);
    refresh();
  });
})();
