/* Public earnings calculator: every figure comes from GET /api/v1/calculator. */
"use strict";

(function () {
  const API = "/api/v1/calculator";

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function value(id) {
    return document.getElementById(id).value.trim().replace(/[,_\s]/g, "");
  }

  /* Show the API's per-parameter messages next to the inputs they belong to. */
  function showErrors(fieldIds, errors) {
    Object.keys(fieldIds).forEach(function (param) {
      const input = document.getElementById(fieldIds[param]);
      const box = document.getElementById(fieldIds[param] + "-error");
      const messages = errors && errors[param] ? [].concat(errors[param]).join(" ") : "";
      if (box) box.textContent = messages;
      if (messages) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", fieldIds[param] + "-error");
      } else {
        input.removeAttribute("aria-invalid");
      }
    });
  }

  function query(params) {
    return API + "?" + new URLSearchParams(params).toString();
  }

  /* a / b for two decimal strings of money, to one decimal, exactly (BigInt cents). */
  function ratio(a, b) {
    const x = Kx.cents(a), y = Kx.cents(b);
    if (y <= 0n) return null;
    const tenths = (x * 20n / y + 1n) / 2n;
    return (tenths / 10n).toString() + "." + (tenths % 10n).toString();
  }

  // ------------------------------------------------------------------ one listener

  const listenerFields = { price: "price", listener_streams: "listener_streams", artist_streams: "artist_streams" };
  let listenerChart = null;

  async function updateListener() {
    const uc = { model: "user_centric", price: value("price"), listener_streams: value("listener_streams"), artist_streams: value("artist_streams") };
    const pr = { model: "pro_rata", plays: value("artist_streams"), rate: value("pro_rata_rate") };
    const results = await Promise.all([Kx.api(query(uc)), Kx.api(query(pr))]);
    const ucResult = results[0], prResult = results[1];
    showErrors(listenerFields, ucResult.ok ? {} : ucResult.data);
    const rateErrors = prResult.ok ? {} : { rate: prResult.data && prResult.data.rate };
    showErrors({ rate: "pro_rata_rate" }, rateErrors);
    if (!ucResult.ok || !prResult.ok) {
      Kx.setText("listener-sentence", "Fix the highlighted values to see the results.");
      return;
    }
    Kx.setText("uc-payout", Kx.money(ucResult.data.payout));
    Kx.setText("uc-rate", Kx.money(ucResult.data.per_stream));
    Kx.setText("pr-payout", Kx.money(prResult.data.payout));
    Kx.setText("pr-rate", Kx.money(prResult.data.per_stream));
    const times = ratio(ucResult.data.payout, prResult.data.payout);
    let sentence = "Your " + Kx.count(uc.artist_streams) + " plays take " + Kx.money(ucResult.data.payout) +
      " from this listener's own subscription, because it is shared only among the " +
      Kx.count(uc.listener_streams) + " plays they made.";
    sentence += " In a shared pot at " + Kx.money(prResult.data.per_stream) + " a play they would earn " +
      Kx.money(prResult.data.payout) + (times ? " (user-centric pays " + times + " times as much)." : ".");
    Kx.setText("listener-sentence", sentence);

    const config = {
      type: "bar",
      data: {
        labels: ["User-centric", "Shared pot (pro-rata)"],
        datasets: [{
          label: "You receive",
          data: [Kx.plot(ucResult.data.payout), Kx.plot(prResult.data.payout)],
          backgroundColor: [Kx.colors.brand, Kx.colors.grey],
        }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { return Kx.symbol + c.parsed.x; } } } },
        scales: { x: { beginAtZero: true, ticks: { callback: function (v) { return Kx.symbol + v; } } } },
      },
    };
    if (listenerChart) {
      listenerChart.data = config.data;
      listenerChart.update();
    } else {
      listenerChart = Kx.chart("listener-chart", config);
    }
  }

  // ------------------------------------------------------------------ progressive

  const progressiveFields = {
    plays: "plays", base: "base", base_plays: "base_plays", curve_plays: "curve_plays",
    floor_ratio: "floor_ratio", exponent: "exponent", rate: "compare_rate",
  };
  let curveChart = null;

  async function updateProgressive() {
    const params = { model: "progressive", curve: "1" };
    Object.keys(progressiveFields).forEach(function (param) { params[param] = value(progressiveFields[param]); });
    const flat = { model: "pro_rata", plays: params.plays, rate: params.rate };
    const results = await Promise.all([Kx.api(query(params)), Kx.api(query(flat))]);
    const pg = results[0], fl = results[1];
    showErrors(progressiveFields, pg.ok ? {} : pg.data);
    if (!pg.ok || !fl.ok) {
      Kx.setText("progressive-sentence", "Fix the highlighted values to see the results.");
      return;
    }
    Kx.setText("pg-payout", Kx.money(pg.data.payout));
    Kx.setText("pg-rate", Kx.money(pg.data.per_stream));
    Kx.setText("flat-payout", Kx.money(fl.data.payout));
    const crossover = pg.data.crossover_plays;
    let crossoverText;
    if (crossover === null || crossover === undefined) crossoverText = "all of them";
    else crossoverText = "the first " + Kx.count(crossover);
    Kx.setText("pg-crossover", crossover === null || crossover === undefined ? "all" : Kx.count(crossover));
    const change = Kx.percentChange(pg.data.payout, fl.data.payout);
    let sentence = Kx.count(params.plays) + " plays earn " + Kx.money(pg.data.payout) + " under this progressive model and " +
      Kx.money(fl.data.payout) + " at a flat " + Kx.money(fl.data.per_stream) + " a play";
    sentence += change ? " (" + change.text + ")." : ".";
    sentence += " Of an artist's plays in a month, " + crossoverText + " are worth at least the flat rate.";
    Kx.setText("progressive-sentence", sentence);
    drawCurve(pg.data.curve || [], params);
  }

  function drawCurve(points, params) {
    const line = points.map(function (p) { return { x: Number(p[0]), y: Kx.plot(p[1]) }; });
    const maxX = line.length ? line[line.length - 1].x : 0;
    const rate = Kx.plot(params.rate);
    const plays = Kx.plot(params.plays);
    const maxY = line.reduce(function (m, p) { return Math.max(m, p.y); }, rate);
    const datasets = [
      { label: "Value of the next play", data: line, borderColor: Kx.colors.accent, backgroundColor: Kx.colors.accent, pointRadius: 0, borderWidth: 3, tension: 0 },
      { label: "Flat rate", data: [{ x: 0, y: rate }, { x: maxX, y: rate }], borderColor: Kx.colors.grey, borderDash: [6, 6], pointRadius: 0, borderWidth: 2 },
    ];
    if (plays > 0 && plays <= maxX) {
      datasets.push({ label: "Your plays", data: [{ x: plays, y: 0 }, { x: plays, y: maxY }], borderColor: Kx.colors.brand, pointRadius: 0, borderWidth: 2, borderDash: [2, 4] });
    }
    const config = {
      type: "line",
      data: { datasets: datasets },
      options: {
        parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", min: 0, max: maxX, title: { display: true, text: "Plays in the month" }, ticks: { callback: function (v) { return Kx.shortCount(v); } } },
          y: { beginAtZero: true, title: { display: true, text: "Value per play" }, ticks: { callback: function (v) { return Kx.symbol + v; } } },
        },
        plugins: {
          tooltip: { callbacks: { title: function (items) { return items.length ? Kx.count(items[0].parsed.x) + " plays" : ""; }, label: function (c) { return c.dataset.label + ": " + Kx.symbol + c.parsed.y; } } },
        },
      },
    };
    if (curveChart) {
      curveChart.data = config.data;
      curveChart.options = config.options;
      curveChart.update();
    } else {
      curveChart = Kx.chart("curve-chart", config);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const listenerForm = document.getElementById("listener-form");
    const progressiveForm = document.getElementById("progressive-form");
    const l = debounce(updateListener, 250);
    const p = debounce(updateProgressive, 250);
    listenerForm.addEventListener("input", l);
    progressiveForm.addEventListener("input", p);
    listenerForm.addEventListener("submit", function (e) { e.preventDefault(); updateListener(); });
    progressiveForm.addEventListener("submit", function (e) { e.preventDefault(); updateProgressive(); });
    updateListener();
    updateProgressive();
  });
})();
