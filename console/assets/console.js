// quantrac console: the few things that need a script. Everything else works without one.
"use strict";
document.querySelectorAll(".print-button").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});

// The data-quality actions, drawn only for editors (docs/data-quality.md): the span form,
// choosing its span by dragging across a chart, the revoke buttons and the month's approval.
// Each sends JSON to the API on this origin with the page's credentials, shows the API's
// error message on failure and reloads the page on success.
(function () {
  var HOUR = 3600000;

  // offsetAt returns the offset of time zone tz from UTC at instant ms, in milliseconds.
  function offsetAt(ms, tz) {
    var p = {};
    new Intl.DateTimeFormat("en-US", {timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"}).formatToParts(new Date(ms))
      .forEach(function (x) { p[x.type] = x.value; });
    return Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }
  // toUTC turns a datetime-local value, a wall time in tz, into an RFC 3339 UTC time.
  function toUTC(local, tz) {
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?/.exec(local);
    if (!m) { return ""; }
    var wall = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    var ms = wall - offsetAt(wall, tz);
    ms = wall - offsetAt(ms, tz); // again, across a change of offset
    return new Date(ms).toISOString().replace(".000Z", "Z");
  }
  // toLocal turns an instant into a datetime-local value, the wall time in tz.
  function toLocal(ms, tz) {
    return new Date(ms + offsetAt(ms, tz)).toISOString().slice(0, 16);
  }

  function send(method, url, body) {
    var init = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (resp) {
      if (resp.ok) { return resp; }
      return resp.text().then(function (text) {
        var msg = "HTTP " + resp.status;
        try { msg = JSON.parse(text).error || msg; } catch (e) { if (text) { msg += ": " + text; } }
        throw new Error(msg);
      });
    });
  }
  function showError(el, err) {
    el.textContent = el.dataset.label + ": " + err.message;
    el.hidden = false;
  }

  var form = document.getElementById("qc-form");
  if (form) {
    var tz = form.dataset.tz;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = form.elements, errEl = form.querySelector(".qc-error");
      errEl.hidden = true;
      var body = {station: form.dataset.station, parameter: f.parameter.value, action: f.action.value,
        from: toUTC(f.from.value, tz), to: toUTC(f.to.value, tz), reason: f.reason.value};
      send("POST", form.dataset.api, body).then(function () { location.reload(); },
        function (err) { showError(errEl, err); });
    });
    document.querySelectorAll("figure.chart").forEach(function (fig) { selectable(fig, form, tz); });
  }

  // selectable lets the user drag across a chart: the span, widened to whole hours, fills
  // the form's from and to, and the chart's parameter its parameter.
  function selectable(fig, form, tz) {
    var svg = fig.querySelector("svg"), from = Date.parse(fig.dataset.from), to = Date.parse(fig.dataset.to);
    var x0 = +svg.dataset.x0, x1 = +svg.dataset.x1, start = null, rect = null;
    svg.classList.add("selectable");
    function xOf(ev) {
      var p = svg.createSVGPoint();
      p.x = ev.clientX; p.y = ev.clientY;
      return Math.min(x1, Math.max(x0, p.matrixTransform(svg.getScreenCTM().inverse()).x));
    }
    function timeOf(x) { return from + (x - x0) / (x1 - x0) * (to - from); }
    function draw(a, b) {
      rect.setAttribute("x", Math.min(a, b));
      rect.setAttribute("width", Math.abs(b - a));
    }
    svg.addEventListener("pointerdown", function (ev) {
      start = xOf(ev);
      if (rect) { rect.remove(); }
      rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      rect.setAttribute("class", "qc-drag");
      rect.setAttribute("y", "10");
      rect.setAttribute("height", "166");
      svg.appendChild(rect);
      draw(start, start);
      svg.setPointerCapture(ev.pointerId);
      ev.preventDefault();
    });
    svg.addEventListener("pointermove", function (ev) { if (start !== null) { draw(start, xOf(ev)); } });
    svg.addEventListener("pointerup", function (ev) {
      if (start === null) { return; }
      var a = timeOf(Math.min(start, xOf(ev))), b = timeOf(Math.max(start, xOf(ev)));
      start = null;
      var f = form.elements;
      f.from.value = toLocal(Math.floor(a / HOUR) * HOUR, tz);
      f.to.value = toLocal(Math.ceil(b / HOUR) * HOUR, tz);
      if (Array.prototype.some.call(f.parameter.options, function (o) { return o.value === fig.dataset.parameter; })) {
        f.parameter.value = fig.dataset.parameter;
      }
      f.reason.focus();
    });
  }

  var revokeErr = document.getElementById("qc-revoke-error");
  document.querySelectorAll(".qc-revoke").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!window.confirm(b.dataset.confirm)) { return; }
      send("DELETE", b.dataset.url).then(function () { location.reload(); },
        function (err) { showError(revokeErr, err); });
    });
  });

  document.querySelectorAll(".approve-button").forEach(function (b) {
    var errEl = document.getElementById("approve-error");
    b.addEventListener("click", function () {
      if (!window.confirm(b.dataset.confirm)) { return; }
      send("POST", b.dataset.url, {station: b.dataset.station, month: b.dataset.month})
        .then(function () { location.reload(); }, function (err) { showError(errEl, err); });
    });
  });
})();
