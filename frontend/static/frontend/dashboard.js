/* Artist dashboard: charts from the json_script data, then the month's estimate and top
   fans polled from the earnings API every few seconds. */
"use strict";

(function () {
  const state = Kx.data("dashboard-data");
  if (!state) return;
  const charts = {};
  let ticks = 0;

  /* This month's streams against last month's by the same point, and the month end that
     pace projects: the arithmetic of frontend/pace.py on the live stream count (the
     baseline is fixed when the page loads). */
  function renderPace() {
    const pace = state.pace;
    if (!pace || !pace.last_streams_by_then) return;
    const streams = BigInt(state.earnings.streams);
    const change = Kx.change(streams, BigInt(pace.last_streams_by_then));
    const node = document.getElementById("pace-change");
    node.classList.remove("up", "down");
    node.textContent = change ? change.text : "–";
    if (change && change.sign > 0) node.classList.add("up");
    if (change && change.sign < 0) node.classList.add("down");
    Kx.setText("pace-streams", Kx.count(state.earnings.streams));
    Kx.setText("pace-projected", Kx.money(Kx.scaleMoney(pace.last_amount, state.earnings.streams, pace.last_streams_by_then)));
  }

  /* The model comparison is one snapshot (figures and sentences computed together); once
     the live estimate leaves it, say so with both figures instead of mixing the two. */
  function renderComparisonAge() {
    const snapshot = state.comparison.user_centric.amount;
    const live = state.earnings.amount;
    Kx.setText("cmp-moved", live === snapshot ? "" :
      "Your live estimate has since moved from " + Kx.money(snapshot) + " to " + Kx.money(live) +
      "; reload the page to compare the three models again.");
  }

  /* An estimate can move while the artist's own streams stand still: its listeners' plays
     of other artists thin their share, and recorded payments replace list prices. */
  function renderMove(before, after) {
    if (!before || before.amount === after.amount) return;
    if (before.streams !== after.streams) {
      Kx.setText("est-moved", "");
      return;
    }
    Kx.setText("est-moved", "Moved from " + Kx.money(before.amount) + " to " + Kx.money(after.amount) +
      " while your streams stayed at " + Kx.count(after.streams) + ": your listeners' plays of other music " +
      "and their recorded payments change how much of their subscriptions reaches you.");
  }

  function renderEstimate() {
    const e = state.earnings;
    Kx.setText("est-amount", Kx.money(e.amount));
    Kx.setText("est-streams", Kx.count(e.streams));
    Kx.setText("est-listeners", Kx.count(e.listeners));
    Kx.setText("est-per-stream", Kx.money(e.per_stream));
    Kx.setText("est-gross", Kx.money(e.gross));
    if (document.getElementById("est-sides")) {  // shown for an artist who also writes
      Kx.setText("est-recording", Kx.money(e.recording_amount));
      Kx.setText("est-publishing", Kx.money(e.publishing_amount));
    }
    // A live figure states how far from the exact amount it may be, once that reaches half
    // a cent (below, the cents shown are exact).
    const bounded = Boolean(e.bound) && Number(e.bound) >= 0.005;
    document.getElementById("est-bound").hidden = !bounded;
    if (bounded) Kx.setText("est-bound-amount", Kx.money(e.bound));
    if (e.updated_at) {
      const when = new Date(e.updated_at);
      Kx.setText("est-updated", "Last change " + when.toLocaleTimeString() + ".");
    }
    renderPace();
    renderComparisonAge();
  }

  // ------------------------------------------------------------------ charts

  function historyChart() {
    const labels = state.history.map(function (h) { return Kx.monthLabel(h.month); });
    const finals = state.history.map(function (h) { return h.status === "final" ? Kx.plot(h.amount) : null; });
    const estimates = state.history.map(function (h) { return h.status === "estimate" ? Kx.plot(h.amount) : null; });
    charts.history = Kx.chart("history-chart", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: "Final", data: finals, backgroundColor: Kx.colors.brand, borderColor: Kx.colors.brand, borderWidth: 1 },
          { label: "Estimate", data: estimates, backgroundColor: Kx.colors.estimate, borderColor: Kx.colors.estimateLine, borderWidth: 2 },
        ],
      },
      options: {
        skipNull: true,
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: true, beginAtZero: true, ticks: { callback: function (v) { return Kx.symbol + Kx.shortCount(v); } } },
        },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + Kx.money(state.history[c.dataIndex].amount); } } } },
      },
    });
  }

  const DAY_LABEL_PX = 18; // room a day's number needs along the axis

  /* Every day of the month so far on the axis, days without plays included: upright bars
     where each day's number fits under its bar, otherwise (a phone) one row per day. */
  function dailyChart() {
    const canvas = document.getElementById("daily-chart");
    if (!canvas) return;
    const box = canvas.parentElement;
    const sideways = box.clientWidth / Math.max(state.daily.length, 1) < DAY_LABEL_PX;
    box.classList.toggle("days-down", sideways);
    const dayAxis = { title: { display: true, text: "Day of the month (UTC)" }, ticks: { autoSkip: false, maxRotation: 0, font: { size: 11 } } };
    const countAxis = { beginAtZero: true, ticks: { precision: 0 } };
    charts.daily = Kx.chart("daily-chart", {
      type: "bar",
      data: {
        labels: state.daily.map(function (d) { return String(Number(d.day.slice(8, 10))); }),
        datasets: [{ label: "Streams", data: state.daily.map(function (d) { return d.streams; }), backgroundColor: Kx.colors.brand }],
      },
      options: {
        indexAxis: sideways ? "y" : "x",
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: function (items) { return items.length ? state.daily[items[0].dataIndex].day : ""; } } } },
        scales: sideways ? { y: dayAxis, x: countAxis } : { x: dayAxis, y: countAxis },
      },
    });
  }

  /* A page left open past midnight (UTC) gains the new day, at zero until plays arrive. */
  function addMissingDays() {
    const today = new Date().toISOString().slice(0, 10);
    if (today.slice(0, 7) !== state.month || !state.daily.length) return false;
    let added = false;
    let last = state.daily[state.daily.length - 1].day;
    while (last < today) {
      const next = new Date(last + "T00:00:00Z");
      next.setUTCDate(next.getUTCDate() + 1);
      last = next.toISOString().slice(0, 10);
      state.daily.push({ day: last, streams: 0, listeners: 0 });
      added = true;
    }
    return added;
  }

  function fansChart() {
    const fans = state.fans;
    charts.fans = Kx.chart("fans-chart", {
      type: "bar",
      data: {
        labels: fans.map(function (f) { return f.fan; }),
        datasets: [{ label: "Contributed", data: fans.map(function (f) { return Kx.plot(f.amount); }), backgroundColor: Kx.colors.accent }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { const f = fans[c.dataIndex]; return Kx.money(f.amount) + " from " + Kx.count(f.streams) + " streams"; } } } },
        scales: { x: { beginAtZero: true, ticks: { callback: function (v) { return Kx.symbol + v; } } } },
      },
    });
  }

  function renderFans() {
    const body = document.querySelector("#fans-table tbody");
    if (!body) return;
    body.replaceChildren();
    if (!state.fans.length) {
      const row = body.insertRow();
      const cell = row.insertCell();
      cell.colSpan = state.conversation_base ? 5 : 4;
      cell.className = "empty";
      cell.textContent = "No fans yet this month.";
    }
    state.fans.forEach(function (f) {
      const row = body.insertRow();
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = f.fan;
      row.appendChild(name);
      [Kx.count(f.streams), Kx.money(f.amount), sharePercent(f.share)].forEach(function (text) {
        const cell = row.insertCell();
        cell.className = "num";
        cell.textContent = text;
      });
      if (state.conversation_base && f.fan_id && (state.writable || []).indexOf(f.fan_id) < 0) {
        const none = document.createElement("span");
        none.className = "small muted";
        none.textContent = "No messages";
        row.insertCell().appendChild(none);
      } else if (state.conversation_base && f.fan_id) {
        const link = document.createElement("a");
        link.href = state.conversation_base + encodeURIComponent(f.fan_id) + "/";
        link.textContent = "Write";
        const hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " to " + f.fan;
        link.appendChild(hidden);
        row.insertCell().appendChild(link);
      }
    });
    fansChart();
  }

  /* "0.0456" -> "4.6%": on the digits of the string (BigInt basis points), rounded half up. */
  function sharePercent(share) {
    const parts = String(share).split(".");
    const frac = ((parts[1] || "") + "0000").slice(0, 4);
    const basis = BigInt(parts[0] || "0") * 10000n + BigInt(frac);
    const tenths = (basis + 5n) / 10n;
    return (tenths / 10n).toString() + "." + (tenths % 10n).toString() + "%";
  }

  // ------------------------------------------------------------------ live updates

  function todayIndex() {
    const today = new Date().toISOString().slice(0, 10);
    return state.daily.findIndex(function (d) { return d.day === today; });
  }

  async function poll() {
    if (document.hidden) return;
    ticks += 1;
    const base = "/api/v1/artists/" + encodeURIComponent(state.artist);
    const result = await Kx.api(base + "/earnings?month=" + state.month);
    if (result.ok && result.data) {
      const added = result.data.streams - state.earnings.streams;
      const before = state.earnings;
      state.earnings = result.data;
      renderEstimate();
      renderMove(before, result.data);
      const last = state.history.length - 1;
      if (last >= 0 && state.history[last].month === state.month) {
        state.history[last].amount = result.data.amount;
        if (charts.history) {
          charts.history.data.datasets[1].data[last] = Kx.plot(result.data.amount);
          charts.history.update("none");
        }
      }
      if (addMissingDays()) dailyChart();
      const index = todayIndex();
      if (added > 0 && index >= 0 && charts.daily) {
        state.daily[index].streams += added;
        charts.daily.data.datasets[0].data[index] = state.daily[index].streams;
        charts.daily.update("none");
      }
    }
    if (ticks % 3 === 0) {
      const fans = await Kx.api(base + "/fans?limit=10&month=" + state.month);
      if (fans.ok && Array.isArray(fans.data)) {
        state.fans = fans.data;
        renderFans();
      }
    }
  }

  function reviewForm() {
    const form = document.getElementById("review-form");
    if (!form) return;
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const message = document.getElementById("review-message");
      const out = document.getElementById("review-result");
      if (!message.value.trim()) {
        message.setAttribute("aria-invalid", "true");
        out.textContent = "Please say what the reviewer should know.";
        message.focus();
        return;
      }
      message.removeAttribute("aria-invalid");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const result = await Kx.api("/api/v1/artists/" + encodeURIComponent(state.artist) + "/review-requests", {
        method: "POST",
        body: { month: document.getElementById("review-month").value, message: message.value.trim() },
      });
      button.disabled = false;
      const month = document.getElementById("review-month").value;
      out.textContent = result.ok ? (state.review_outcomes[month] || "Sent.") : Kx.errorText(result);
      if (result.ok) message.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderEstimate();
    historyChart();
    dailyChart();
    fansChart();
    reviewForm();
    setInterval(poll, Math.max(1, state.poll_seconds || 4) * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  });
})();
