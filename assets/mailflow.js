/*
 * Mailflow browser side: theme and kiosk switching, the live WebSocket (/ws/email-flow) with reconnect backoff,
 * count-up animation of the flow counters, and the emails/s sparkline. None of this needs a server round trip:
 * the server only provides the base numbers (dcc.Store "flow-kpi-base", "flow-spark-base") on each refresh.
 */
(function () {
  "use strict";
  var SPARK_SECONDS = 300;
  var state = {base: null, live: {}, perSecond: {}, socket: null, retry: 0, shown: {}};

  function fmt(n) { return Math.round(n).toLocaleString("en-US"); }
  var COMPACT = new Intl.NumberFormat("en-US", {notation: "compact", maximumFractionDigits: 1});

  // The exact number when it fits its box, else "1.2M"; the exact value is always the title (shown on hover).
  function show(el, n, suffix) {
    var exact = fmt(n) + (suffix || "");
    el.mailflowShown = [n, suffix];
    el.textContent = exact;
    el.title = exact;
    if (el.scrollWidth > el.clientWidth) { el.textContent = COMPACT.format(Math.round(n)) + (suffix || ""); }
  }

  function animate(el, from, to) {
    var start = performance.now(), dur = 600;
    el.setAttribute("data-settled", "0");  // tests and screen readers can tell a number in motion from a final one
    function step(now) {
      var t = Math.min(1, (now - start) / dur), eased = 1 - Math.pow(1 - t, 3);
      show(el, from + (to - from) * eased);
      if (t < 1) { requestAnimationFrame(step); } else { el.setAttribute("data-settled", "1"); }
    }
    requestAnimationFrame(step);
  }

  function render() {
    if (!state.base) { return; }
    var hours = Math.max(state.base.hours || 1, 1 / 60);
    document.querySelectorAll("[data-kpi]").forEach(function (el) {
      var key = el.getAttribute("data-kpi");
      var value = (state.base.values[key] || 0) + (state.base.live ? (state.live[key] || 0) : 0);
      var before = state.shown[key] === undefined ? 0 : state.shown[key];
      if (before !== value || el.textContent === "—") { animate(el, before, value); }
      state.shown[key] = value;
      var rate = document.querySelector("[data-kpi-rate='" + key + "']");
      if (rate) { show(rate, value / hours, " / h"); }
    });
  }

  function drawSpark() {
    var box = document.getElementById("flow-spark");
    if (!box) { return; }
    var now = Math.floor(Date.now() / 1000), w = box.clientWidth || 300, h = box.clientHeight || 60;
    var series = {in: [], out: []}, max = 1;
    for (var s = now - SPARK_SECONDS; s < now; s++) {
      var cell = state.perSecond[s] || {in: 0, out: 0};
      series.in.push(cell.in); series.out.push(cell.out);
      max = Math.max(max, cell.in, cell.out);
    }
    function path(values) {
      return values.map(function (v, i) {
        return (i ? "L" : "M") + (i * w / (SPARK_SECONDS - 1)).toFixed(1) + "," + (h - 2 - v * (h - 4) / max).toFixed(1);
      }).join("");
    }
    box.innerHTML = '<svg width="' + w + '" height="' + h + '" role="img" aria-label="emails per second">' +
      '<path d="' + path(series.in) + '" class="spark-in"/><path d="' + path(series.out) + '" class="spark-out"/></svg>';
    var label = document.getElementById("flow-spark-rate");
    if (label) {
      var last = series.in.slice(-10).reduce(function (a, b) { return a + b; }, 0) / 10;
      var lastOut = series.out.slice(-10).reduce(function (a, b) { return a + b; }, 0) / 10;
      label.textContent = last.toFixed(1) + " in · " + lastOut.toFixed(1) + " delivered / s";
    }
    Object.keys(state.perSecond).forEach(function (k) { if (k < now - SPARK_SECONDS - 5) { delete state.perSecond[k]; } });
  }

  function onDelta(msg) {
    (msg.counts || []).forEach(function (c) {
      var key = c[0] + "." + c[1];
      state.live[key] = (state.live[key] || 0) + c[3];
    });
    (msg.seconds || []).forEach(function (c) {
      var cell = state.perSecond[c[0]] || (state.perSecond[c[0]] = {in: 0, out: 0});
      if (c[2] === "received") { cell.in += c[3]; }
      if (c[2] === "delivered") { cell.out += c[3]; }
    });
    render();
  }

  function setStatus(text, color) {
    state.status = [text, color];
    var badge = document.getElementById("live-status");
    if (badge && badge.textContent !== text) { badge.textContent = text; badge.className = "badge live-status bg-" + color; }
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/email-flow";
    var socket = new WebSocket(url);
    state.socket = socket;
    socket.onopen = function () { state.retry = 0; setStatus("live", "success"); };
    socket.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "delta") { onDelta(msg); }
    };
    socket.onclose = function (event) {
      // 1008 carries the server's reason: a session that ended (back to the login page) or a full socket cap
      if (event.code === 1008 && /session ended/.test(event.reason || "")) { leave(); return; }
      var refused = event.code === 1008 && event.reason;
      var delay = refused ? 60000 : Math.min(30000, 1000 * Math.pow(2, state.retry++));
      setStatus(refused ? "live feed refused" : "reconnecting", refused ? "danger" : "warning");
      var badge = document.getElementById("live-status");
      if (badge) { badge.title = refused ? event.reason : ""; }
      setTimeout(connect, delay);
    };
    socket.onerror = function () { socket.close(); };
  }

  window.mailflow = {
    setBase: function (base) {
      if (!base) { return; }
      state.base = base;
      state.live = {};
      render();
    },
    setSpark: function (seconds) {
      state.perSecond = {};
      (seconds || []).forEach(function (c) { state.perSecond[c[0]] = {in: c[1], out: c[2]}; });
      drawSpark();
    }
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    mailflow: {
      applyView: function (theme, search) {
        var kiosk = /(^|[?&])kiosk=(1|true|yes)(&|$)/.test(search || "");
        document.documentElement.setAttribute("data-bs-theme", theme === "dark" ? "dark" : "light");
        document.body.classList.toggle("kiosk", kiosk);
        return window.dash_clientside.no_update;
      },
      kpiBase: function (base) { window.mailflow.setBase(base); return window.dash_clientside.no_update; },
      sparkBase: function (data) { window.mailflow.setSpark(data); return window.dash_clientside.no_update; }
    }
  });

  function leave() {
    if (state.leaving) { return; }
    state.leaving = true;
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
  }

  // A session that ends while the page is open (logout elsewhere, expiry, disabled user) makes Dash's updates fail
  // with 401; without this the charts would freeze silently. Go to the login page and come back here after it.
  var originalFetch = window.fetch;
  window.fetch = function (input, init) {
    return originalFetch(input, init).then(function (response) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) { leave(); }
      return response;
    });
  };

  // a kiosk screen or window that changes size re-fits the numbers (a fit is only decided when text is set)
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-kpi], [data-kpi-rate]").forEach(function (el) {
      if (el.mailflowShown) { show(el, el.mailflowShown[0], el.mailflowShown[1]); }
    });
  });

  connect();
  // the badge and the sparkline are rendered by React after this script runs (and again on page changes)
  setInterval(function () {
    if (state.status) { setStatus(state.status[0], state.status[1]); }
    drawSpark();
  }, 1000);
})();
