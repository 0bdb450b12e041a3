/* Public earnings calculator: every figure comes from GET /api/v1/calculator.

   The page reads what a visitor types the way a person writes numbers ("14,99", "1,000",
   "10 000 000"), says in words what is wrong and under the one field at fault, and greys
   out results that no longer match the inputs until they are fixed. */
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

  // ------------------------------------------------------------------ reading numbers

  const GROUPED = /^\d{1,3}(?:([,.' ])\d{3})(?:\1\d{3})*$/;  // 1,000 / 1.000.000 / 10 000

  /* A whole number as typed -> {value} (ASCII digits) or {error}. Thousands separators are
     accepted when they group by three; anything else is refused rather than guessed. */
  function readCount(text) {
    const t = text.replace(/[\u00a0\u202f]/g, " ").trim();
    if (/^\d+$/.test(t)) return { value: t.replace(/^0+(?=\d)/, "") };
    if (GROUPED.test(t)) return { value: t.replace(/[,.' ]/g, "") };
    if (/^-/.test(t)) return { error: "Enter a number of plays, not a negative number." };
    if (/^\d+[.,]\d+$/.test(t)) return { error: "Plays are counted in whole numbers." };
    return { error: "“" + t.slice(0, 20) + "” is not a number of plays." };
  }

  /* A decimal as typed -> {value, note} or {error}. A lone comma is the decimal separator
     ("14,99" is 14.99); with both marks, the last one is the decimal separator and the
     other must group by three ("1,234.56", "1.234,56"). The note says how it was read. */
  function readDecimal(text) {
    const t = text.replace(/[\u00a0\u202f]/g, " ").trim().replace(/ /g, "");
    if (/^-/.test(t)) return { error: "Enter an amount of 0 or more, not a negative one." };
    let value = null;
    if (/^(\d+(\.\d*)?|\.\d+)$/.test(t)) value = t;
    else if (/^(\d+,\d*|,\d+)$/.test(t)) value = t.replace(",", ".");
    else if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(t)) value = t.replace(/,/g, "");
    else if (/^\d{1,3}(\.\d{3})+,\d*$/.test(t)) value = t.replace(/\./g, "").replace(",", ".");
    if (value === null) return { error: "“" + t.slice(0, 20) + "” is not an amount; write it like 14.99 or 14,99." };
    if (value.startsWith(".")) value = "0" + value;
    if (value.endsWith(".")) value = value.slice(0, -1);
    return { value: value, note: value !== t ? "Read as " + value + "." : "" };
  }

  /* The API's messages name its parameters; on the page each field speaks in words. */
  function inWords(message, field) {
    return String(message)
      .replace(/\s*Send e\.g\. [a-z_]+=(\S+)\.?$/, " For example " + field.example + ".")
      .replace(/\b\d{5,}\b/g, function (n) { return Kx.count(n); });
  }

  // ------------------------------------------------------------------ one form

  /* A form whose fields are read, checked and marked together. `fields` maps an API
     parameter to {id, kind: "count"|"decimal", name (words), example}. */
  function Section(options) {
    this.fields = options.fields;
    this.results = document.getElementById(options.results);
    this.notice = document.getElementById(options.notice);
    this.lastChanged = null;
    this.sequence = 0;
    this.hasResult = false;
  }

  /* Every field read; `errors` holds messages in words per parameter. */
  Section.prototype.read = function () {
    const values = {}, errors = {}, fields = this.fields;
    Object.keys(fields).forEach(function (param) {
      const field = fields[param];
      const text = document.getElementById(field.id).value;
      let result;
      if (!text.trim()) result = { error: "Enter " + field.name + ", for example " + field.example + "." };
      else result = field.kind === "count" ? readCount(text) : readDecimal(text);
      if (result.error) errors[param] = result.error;
      else values[param] = result.value;
      const note = document.getElementById(field.id + "-read");
      if (note) note.textContent = result.note || "";
    });
    return { values: values, errors: errors };
  };

  /* Two fields that must keep an order (e.g. your plays within the listener's): the error
     goes under the one the visitor changed last, the other stays unmarked. */
  Section.prototype.order = function (state, low, high, messages) {
    const v = state.values;
    if (v[low] === undefined || v[high] === undefined) return;
    const tooHigh = messages.strict ? BigInt(v[low]) >= BigInt(v[high]) : BigInt(v[low]) > BigInt(v[high]);
    if (!tooHigh) return;
    const blame = this.lastChanged === this.fields[high].id ? high : low;
    state.errors[blame] = blame === low ? messages.low(Kx.count(v[high])) : messages.high(Kx.count(v[low]));
  };

  Section.prototype.mark = function (errors) {
    const fields = this.fields;
    Object.keys(fields).forEach(function (param) {
      const input = document.getElementById(fields[param].id);
      const box = document.getElementById(fields[param].id + "-error");
      const message = errors[param] ? [].concat(errors[param]).map(function (m) { return inWords(m, fields[param]); }).join(" ") : "";
      box.textContent = message;
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    });
  };

  /* Results that no longer match the inputs are greyed and say so; a new result clears it. */
  Section.prototype.stale = function (why) {
    this.results.classList.toggle("stale", Boolean(why) && this.hasResult);
    this.notice.hidden = !why;
    this.notice.textContent = why ? why + (this.hasResult ? " The results below are for your previous numbers." : "") : "";
  };

  Section.prototype.fresh = function () {
    this.hasResult = true;
    this.stale("");
  };

  Section.prototype.fieldNames = function (errors) {
    const fields = this.fields;
    return Object.keys(errors).filter(function (p) { return fields[p]; }).map(function (p) { return fields[p].name; });
  };

  /* Show the problems (local or the API's) and grey out the results. */
  /* One model's answer for `params`, or null: a newer input is on its way (`turn` is stale),
     or the answer was refused and the section says why. */
  Section.prototype.ask = async function (turn, params) {
    const result = await Kx.api(query(params));
    if (turn !== this.sequence) return null;
    if (!result.ok) {
      this.fail(result.status === 400 && result.data ? result.data : {}, apiProblem(result));
      return null;
    }
    this.mark({});
    this.fresh();
    return result.data;
  };

  Section.prototype.fail = function (errors, fallback) {
    this.mark(errors);
    const names = this.fieldNames(errors);
    if (names.length) this.stale("Check " + names.join(" and ") + ".");
    else this.stale(fallback || "The results could not be updated.");
  };

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

  function apiProblem(result) {
    if (result.status === 0) return "The server could not be reached.";
    return "The server could not answer (" + Kx.errorText(result) + ").";
  }

  // ------------------------------------------------------------------ one listener

  const listener = new Section({
    fields: {
      price: { id: "price", kind: "decimal", name: "the monthly price", example: "14.99" },
      listener_streams: { id: "listener_streams", kind: "count", name: "the listener's plays", example: "1000" },
      artist_streams: { id: "artist_streams", kind: "count", name: "your plays", example: "50" },
      rate: { id: "pro_rata_rate", kind: "decimal", name: "the shared-pot rate", example: "0.003" },
    },
    results: "listener-results",
    notice: "listener-notice",
  });
  let listenerChart = null;

  async function updateListener() {
    const turn = ++listener.sequence;
    const state = listener.read();
    listener.order(state, "artist_streams", "listener_streams", {
      low: function (most) { return "Your plays are part of the listener's, so at most " + most + "."; },
      high: function (least) { return "The listener's plays include your " + least + ", so at least " + least + "."; },
    });
    if (Object.keys(state.errors).length) return listener.fail(state.errors);
    const v = state.values;
    const uc = { model: "user_centric", price: v.price, listener_streams: v.listener_streams, artist_streams: v.artist_streams };
    const pr = { model: "pro_rata", plays: v.artist_streams, rate: v.rate };
    const results = await Promise.all([Kx.api(query(uc)), Kx.api(query(pr))]);
    if (turn !== listener.sequence) return;  // a newer input is on its way
    const ucResult = results[0], prResult = results[1];
    if (!ucResult.ok || !prResult.ok) {
      const errors = {};
      [ucResult, prResult].forEach(function (r) {
        if (r.ok || r.status !== 400 || !r.data) return;
        Object.keys(r.data).forEach(function (p) { errors[p === "plays" ? "artist_streams" : p] = r.data[p]; });
      });
      return listener.fail(errors, apiProblem(ucResult.ok ? prResult : ucResult));
    }
    listener.mark({});
    listener.fresh();
    Kx.setText("uc-payout", Kx.money(ucResult.data.payout));
    Kx.setText("uc-rate", Kx.money(ucResult.data.per_stream));
    Kx.setText("pr-payout", Kx.money(prResult.data.payout));
    Kx.setText("pr-rate", Kx.money(prResult.data.per_stream));
    const times = ratio(ucResult.data.payout, prResult.data.payout);
    let sentence = "Your " + Kx.count(uc.artist_streams) + " plays take " + Kx.money(ucResult.data.payout) +
      " from this listener's own " + Kx.money(uc.price) + " (what is left after tax and payment fees), because" +
      " the rights holders' share of it is divided only among the " + Kx.count(uc.listener_streams) +
      " plays they made: " + Kx.money(ucResult.data.per_stream) + " a play.";
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

  const progressive = new Section({
    fields: {
      plays: { id: "plays", kind: "count", name: "your plays", example: "10000000" },
      base: { id: "base", kind: "decimal", name: "the base value", example: "0.0087" },
      base_plays: { id: "base_plays", kind: "count", name: "the plays paid the base value", example: "500000" },
      curve_plays: { id: "curve_plays", kind: "count", name: "where the curve ends", example: "50000000" },
      floor_ratio: { id: "floor_ratio", kind: "decimal", name: "the floor", example: "0.03" },
      exponent: { id: "exponent", kind: "decimal", name: "the curve exponent", example: "1.2" },
      rate: { id: "compare_rate", kind: "decimal", name: "the flat rate", example: "0.004" },
    },
    results: "progressive-results",
    notice: "progressive-notice",
  });
  let curveChart = null;

  /* What crossover_plays means for these plays: how many of them are worth the flat rate. */
  function crossoverWords(crossover, plays, rate) {
    const n = BigInt(plays);
    const all = crossover === null || crossover === undefined || BigInt(crossover) >= n;
    const worth = all ? n : BigInt(crossover);
    const flat = "the flat rate of " + Kx.money(rate) + " a play";
    let sentence;
    if (n === 0n) sentence = "With no plays there is nothing to compare with " + flat + ".";
    else if (crossover === null || crossover === undefined) sentence = "Every play is worth at least " + flat + ": the curve's floor does not go below it.";
    else if (all) sentence = "All " + Kx.count(plays) + " of your plays are worth at least " + flat + "; plays would be worth less only after the first " + Kx.count(crossover) + ".";
    else if (worth === 0n) sentence = "None of your " + Kx.count(plays) + " plays is worth " + flat + ": even the first play earns less.";
    else sentence = "The first " + Kx.count(crossover) + " of your " + Kx.count(plays) + " plays are worth at least " + flat + "; the other " + Kx.count((n - worth).toString()) + " are worth less.";
    return {
      count: Kx.count(worth.toString()),
      of: n === 0n ? "" : all ? "all of your plays" : "of your " + Kx.count(plays),
      sentence: sentence,
    };
  }

  async function updateProgressive() {
    const turn = ++progressive.sequence;
    const state = progressive.read();
    progressive.order(state, "base_plays", "curve_plays", {
      strict: true,
      low: function (end) { return "The base value must stop before the curve ends, so fewer than " + end + "."; },
      high: function (start) { return "The curve must end after the " + start + " plays paid the base value."; },
    });
    if (Object.keys(state.errors).length) return progressive.fail(state.errors);
    const params = Object.assign({ model: "progressive", curve: "1" }, state.values);
    const flat = { model: "pro_rata", plays: params.plays, rate: params.rate };
    const results = await Promise.all([Kx.api(query(params)), Kx.api(query(flat))]);
    if (turn !== progressive.sequence) return;
    const pg = results[0], fl = results[1];
    if (!pg.ok || !fl.ok) {
      return progressive.fail(pg.status === 400 && pg.data ? pg.data : fl.status === 400 && fl.data ? fl.data : {}, apiProblem(pg.ok ? fl : pg));
    }
    progressive.mark({});
    progressive.fresh();
    Kx.setText("pg-payout", Kx.money(pg.data.payout));
    Kx.setText("pg-rate", Kx.money(pg.data.per_stream));
    Kx.setText("flat-payout", Kx.money(fl.data.payout));
    const crossover = crossoverWords(pg.data.crossover_plays, params.plays, fl.data.per_stream);
    Kx.setText("pg-crossover", crossover.count);
    Kx.setText("pg-crossover-of", crossover.of);
    const change = Kx.percentChange(pg.data.payout, fl.data.payout);
    let sentence = Kx.count(params.plays) + " plays earn " + Kx.money(pg.data.payout) + " under this progressive model and " +
      Kx.money(fl.data.payout) + " at a flat " + Kx.money(fl.data.per_stream) + " a play";
    sentence += change ? " (" + change.text + ")." : ".";
    Kx.setText("progressive-sentence", sentence + " " + crossover.sentence);
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

  // ------------------------------------------------------------------ artist-centric and threshold

  /* "38000.0000" -> "38,000", "4.5500" -> "4.55": a count that may carry a fraction. */
  function weightWords(value) {
    const text = String(value).indexOf(".") < 0 ? String(value) : String(value).replace(/\.?0+$/, "");
    return Kx.count(text);
  }

  /* A share ("0.1") in words: "10%", exactly from the decimal string. */
  function percentWords(share) {
    const parts = String(share).split(".");
    const frac = (parts[1] || "") + "00";
    const whole = (BigInt(parts[0] || "0") * 100n + BigInt(frac.slice(0, 2))).toString();
    const rest = frac.slice(2).replace(/0+$/, "");
    return whole + (rest ? "." + rest : "") + "%";
  }

  const artistCentric = new Section({
    fields: {
      plays: { id: "ac_plays", kind: "count", name: "your streams", example: "20000" },
      listeners: { id: "ac_listeners", kind: "count", name: "your listeners", example: "2500" },
      rate: { id: "ac_rate", kind: "decimal", name: "the value of a weighted stream", example: "0.004" },
      min_streams: { id: "ac_min_streams", kind: "count", name: "the streams to count as professional", example: "1000" },
      min_listeners: { id: "ac_min_listeners", kind: "count", name: "the listeners to count as professional", example: "500" },
      capped_share: { id: "ac_capped_share", kind: "decimal", name: "the share from heavy listeners", example: "0.1" },
      cap_factor: { id: "ac_cap_factor", kind: "decimal", name: "the scale of those streams", example: "0.5" },
    },
    results: "artist-centric-results",
    notice: "artist-centric-notice",
  });

  async function updateArtistCentric() {
    const turn = ++artistCentric.sequence;
    const state = artistCentric.read();
    artistCentric.order(state, "listeners", "plays", {
      low: function (most) { return "Every listener streamed at least once, so at most " + most + "."; },
      high: function (least) { return "Your " + least + " listeners streamed at least once each, so at least " + least + "."; },
    });
    if (Object.keys(state.errors).length) return artistCentric.fail(state.errors);
    const params = Object.assign({ model: "artist_centric" }, state.values);
    const d = await artistCentric.ask(turn, params);
    if (!d) return;
    Kx.setText("ac-rule", d.rule);
    Kx.setText("ac-payout", Kx.money(d.payout));
    Kx.setText("ac-per-stream", Kx.money(d.per_stream));
    Kx.setText("ac-weighted", weightWords(d.weighted_streams));
    Kx.setText("ac-professional", d.professional ? "Yes: streams count double" : "No");
    let sentence = "Your " + Kx.count(params.plays) + " streams from " + Kx.count(params.listeners) + " listeners " +
      (d.professional
        ? "pass the bar of " + Kx.count(params.min_streams) + " streams and " + Kx.count(params.min_listeners) + " listeners, so each counts double"
        : "do not pass the bar of " + Kx.count(params.min_streams) + " streams and " + Kx.count(params.min_listeners) + " listeners, so each counts once");
    if (params.capped_share !== "0" && Number(params.capped_share) !== 0) {
      sentence += "; the " + percentWords(params.capped_share) + " from listeners over the cap count " + params.cap_factor + " as much";
    }
    sentence += ". That makes " + weightWords(d.weighted_streams) + " weighted streams at " + Kx.money(params.rate) +
      ": " + Kx.money(d.payout) + ", or " + Kx.money(d.per_stream) + " a stream.";
    Kx.setText("artist-centric-sentence", sentence);
  }

  const thresholdSection = new Section({
    fields: {
      plays: { id: "th_plays", kind: "count", name: "the track's streams this month", example: "800" },
      trailing_plays: { id: "th_trailing_plays", kind: "count", name: "its streams over 12 months", example: "1500" },
      rate: { id: "th_rate", kind: "decimal", name: "the rate per stream", example: "0.004" },
      min_streams: { id: "th_min_streams", kind: "count", name: "the streams needed to be paid", example: "1000" },
    },
    results: "threshold-results",
    notice: "threshold-notice",
  });

  async function updateThreshold() {
    const turn = ++thresholdSection.sequence;
    const state = thresholdSection.read();
    thresholdSection.order(state, "plays", "trailing_plays", {
      low: function (most) { return "This month is part of the 12, so at most " + most + "."; },
      high: function (least) { return "The 12 months include this month's " + least + ", so at least " + least + "."; },
    });
    if (Object.keys(state.errors).length) return thresholdSection.fail(state.errors);
    const params = Object.assign({ model: "threshold" }, state.values);
    const d = await thresholdSection.ask(turn, params);
    if (!d) return;
    Kx.setText("th-rule", d.rule);
    Kx.setText("th-payout", Kx.money(d.payout));
    Kx.setText("th-per-stream", Kx.money(d.per_stream));
    Kx.setText("th-paid", d.paid ? "Yes" : "No");
    Kx.setText("th-short", Kx.count(String(d.streams_short)));
    const sentence = d.paid
      ? "With " + Kx.count(params.trailing_plays) + " streams over 12 months the track passes the minimum of " +
        Kx.count(params.min_streams) + ": its " + Kx.count(params.plays) + " streams earn " + Kx.money(d.payout) +
        " at " + Kx.money(d.per_stream) + " a stream."
      : "Not paid this month. " + d.reason;
    Kx.setText("threshold-sentence", sentence);
  }

  document.addEventListener("DOMContentLoaded", function () {
    [
      [listener, "listener-form", updateListener],
      [progressive, "progressive-form", updateProgressive],
      [artistCentric, "artist-centric-form", updateArtistCentric],
      [thresholdSection, "threshold-form", updateThreshold],
    ].forEach(function (entry) {
      const section = entry[0], form = document.getElementById(entry[1]), update = entry[2];
      const later = debounce(update, 250);
      form.addEventListener("input", function (e) {
        section.lastChanged = e.target.id;
        later();
      });
      form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
      update();
    });
  });
})();
