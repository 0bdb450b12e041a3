/* Helpers shared by the pages. No inline scripts anywhere: data arrives through
   json_script blocks (read with Kx.data) or the JSON API (Kx.api).

   Money arrives as decimal strings and is displayed as strings (Kx.money groups the
   digits without ever parsing them). Kx.plot turns a string into a number, and only
   charts use it. Arithmetic that the page shows (a percentage change) is done on
   integer cents with BigInt, never on binary floating point. */
"use strict";

window.Kx = (function () {
  const currency = document.documentElement.dataset.currency || "USD";
  const symbols = { USD: "$", EUR: "€", GBP: "£", JPY: "¥" };
  const symbol = symbols[currency] || currency + " ";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* fetch() with the session cookie and CSRF token; resolves to {ok, status, data}. */
  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: "application/json" };
    const init = { method: opts.method || "GET", headers: headers, credentials: "same-origin" };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    if (init.method !== "GET") headers["X-CSRFToken"] = csrfToken();
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      return { ok: false, status: 0, data: { detail: "Network error: " + err.message } };
    }
    let data = null;
    const text = await response.text();
    if (text) {
      try { data = JSON.parse(text); } catch (err) { data = { detail: text.slice(0, 200) }; }
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  function data(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  /* "1234567.891" -> "1,234,567.891", on the string itself. */
  function group(value) {
    if (value === null || value === undefined || value === "") return "–";
    const text = String(value);
    const negative = text.startsWith("-");
    const parts = (negative ? text.slice(1) : text).split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "−" : "") + parts.join(".");
  }

  function money(value) {
    if (value === null || value === undefined || value === "") return "–";
    const text = String(value);
    return text.startsWith("-") ? "−" + symbol + group(text.slice(1)) : symbol + group(text);
  }

  /* A decimal string of any places shown in cents, rounded half away from zero, exactly
     (pools carry up to six places; people read cents, the exact value goes in a title). */
  function moneyCents(value) {
    if (value === null || value === undefined || value === "") return "–";
    const text = String(value);
    const negative = text.startsWith("-");
    const parts = (negative ? text.slice(1) : text).split(".");
    const frac = (parts[1] || "") + "000";
    let units = BigInt(parts[0] || "0") * 100n + BigInt(frac.slice(0, 2));
    if (frac.charAt(2) >= "5") units += 1n;
    const shown = (units / 100n).toString() + "." + (units % 100n).toString().padStart(2, "0");
    return money((negative && units > 0n ? "-" : "") + shown);
  }

  function count(value) {
    return group(value === null || value === undefined ? "" : String(value));
  }

  /* Only for charts: a decimal string as a JavaScript number. */
  function plot(value) {
    const number = Number(value);
    return Number.isFinite(number) ? number : 0;
  }

  /* A decimal string as BigInt hundredths (cents), exactly; rounding half away from zero
     beyond two places is not needed: the API sends money with two places. */
  function cents(value) {
    const text = String(value);
    const negative = text.startsWith("-");
    const parts = (negative ? text.slice(1) : text).split(".");
    const frac = ((parts[1] || "") + "00").slice(0, 2);
    const result = BigInt(parts[0] || "0") * 100n + BigInt(frac);
    return negative ? -result : result;
  }

  /* Percentage change from `before` to `after` (decimal strings), one decimal, or null. */
  function percentChange(after, before) {
    return change(cents(after), cents(before));
  }

  /* Percentage change between two whole numbers (BigInt), one decimal half away from zero,
     or null when `b` is 0 (frontend/pace.py rounds the same way). */
  function change(a, b) {
    if (b === 0n) return null;
    const tenths = ((a - b) * 2000n) / b; // twice the tenths of a percent, for rounding
    const rounded = tenths >= 0n ? (tenths + 1n) / 2n : (tenths - 1n) / 2n;
    const sign = rounded > 0n ? "+" : rounded < 0n ? "−" : "";
    const abs = rounded < 0n ? -rounded : rounded;
    return { text: sign + (abs / 10n).toString() + "." + (abs % 10n).toString() + "%", sign: Number(rounded > 0n) - Number(rounded < 0n) };
  }

  /* `amount` (a decimal string) × numerator / denominator (whole numbers), to the cent,
     half even: "12.34" × 3 / 2 -> "18.51". */
  function scaleMoney(amount, numerator, denominator) {
    const d = BigInt(denominator);
    if (d === 0n) return null;
    const product = cents(amount) * BigInt(numerator);
    const negative = product < 0n;
    const whole = negative ? -product : product;
    let q = whole / d;
    const twice = 2n * (whole % d);
    if (twice > d || (twice === d && q % 2n === 1n)) q += 1n;
    const units = (q / 100n).toString() + "." + (q % 100n).toString().padStart(2, "0");
    return negative ? "-" + units : units;
  }

  function setText(id, text) {
    const node = typeof id === "string" ? document.getElementById(id) : id;
    if (node) node.textContent = text;
  }

  function shortCount(value) {
    const n = Math.abs(value);
    if (n >= 1e9) return (value / 1e9).toLocaleString("en-US", { maximumFractionDigits: 2 }) + "B";
    if (n >= 1e6) return (value / 1e6).toLocaleString("en-US", { maximumFractionDigits: 1 }) + "M";
    if (n >= 1e3) return (value / 1e3).toLocaleString("en-US", { maximumFractionDigits: 1 }) + "k";
    return String(value);
  }

  const colors = {
    brand: "#4527a0",
    brandSoft: "rgba(69, 39, 160, 0.22)",
    estimate: "rgba(138, 75, 0, 0.25)",
    estimateLine: "#8a4b00",
    accent: "#0b6e4f",
    grey: "#6d6880",
    bad: "#a3142d",
    grid: "#e6e2f2",
  };

  /* Chart.js with the house style; charts are images to assistive technology, so each
     canvas carries role="img" and an aria-label set by its page. */
  function chart(canvasId, config) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || !window.Chart) return null;
    const existing = window.Chart.getChart(canvas);
    if (existing) existing.destroy();
    const defaults = window.Chart.defaults;
    defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    defaults.color = "#514a66";
    defaults.borderColor = colors.grid;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      config.options.animation = false;
    }
    return new window.Chart(canvas, config);
  }

  function monthLabel(month) {
    /* "2026-11" -> "Nov 2026" without Date parsing surprises. */
    const names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const parts = String(month).split("-");
    return names[Number(parts[1]) - 1] + " " + parts[0];
  }

  function errorText(result) {
    if (!result || !result.data) return "Something went wrong (HTTP " + (result ? result.status : "?") + ").";
    const d = result.data;
    if (typeof d === "string") return d;
    if (d.detail) return String(d.detail);
    return Object.keys(d).map(function (k) { return k + ": " + [].concat(d[k]).join(" "); }).join("; ");
  }

  /* A table box that scrolls sideways must be reachable with the keyboard and named
     (axe's scrollable-region-focusable): focusable, a region named by the table's caption.
     Boxes that fit are left alone, so they add no stop to the tab order. */
  function scrollBoxes() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      const scrolls = box.scrollWidth > box.clientWidth;
      if (scrolls && !box.hasAttribute("tabindex")) {
        const caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table") + " (scrolls sideways)");
      } else if (!scrolls && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", scrollBoxes);
  window.addEventListener("resize", scrollBoxes);

  return {
    scrollBoxes: scrollBoxes,
    api: api, data: data, group: group, money: money, moneyCents: moneyCents, count: count, plot: plot, cents: cents,
    percentChange: percentChange, change: change, scaleMoney: scaleMoney, setText: setText, shortCount: shortCount, colors: colors,
    chart: chart, monthLabel: monthLabel, errorText: errorText, symbol: symbol,
  };
})();
