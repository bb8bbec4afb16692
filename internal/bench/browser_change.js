// Installed by the benchmark into the explorer page (nothing of the page
// changes): window.benchChange(kind, i, word, timeoutMs) makes one filter
// change the way a user does and resolves, once the page has drawn the
// view it led to (table and every facet count: the page bumps
// body[data-renders] only then), to {ms, requests, error, skipped}.
// ms is measured with performance.now() from just before the change;
// requests counts the fetches the page started after it.
"use strict";
(function () {
  function unticked(sel) {
    return Array.prototype.filter.call(document.querySelectorAll(sel), function (b) { return !b.checked && !b.disabled; });
  }
  var actions = {
    // facet ticks a value of a group other than class, a group per round.
    facet: function (i) {
      var groups = Array.prototype.filter.call(document.querySelectorAll("#facets fieldset[data-group]"), function (f) {
        return f.dataset.group !== "class" && unticked('fieldset[data-group="' + CSS.escape(f.dataset.group) + '"] input[data-value]').length > 0;
      });
      if (!groups.length) return false;
      var g = groups[Math.floor(i / 4) % groups.length].dataset.group;
      unticked('fieldset[data-group="' + CSS.escape(g) + '"] input[data-value]')[0].click();
      return true;
    },
    // class ticks a class value, another one each round.
    class: function (i) {
      var boxes = unticked('fieldset[data-group="class"] input[data-value]');
      if (!boxes.length) return false;
      boxes[Math.floor(i / 4) % boxes.length].click();
      return true;
    },
    // q types words into the search box and submits it.
    q: function (i, word) {
      document.getElementById("q").value = word;
      document.querySelector("#search button[type=submit]").click();
      return true;
    },
    // clear goes back to the bare scope, as a link to it would.
    clear: function () {
      var p = new URLSearchParams(location.hash.replace(/^#/, ""));
      var h = "#kind=" + encodeURIComponent(p.get("kind") || "tenants") + "&id=" + encodeURIComponent(p.get("id") || "");
      if (h === location.hash) return false;
      location.hash = h;
      return true;
    },
  };
  window.benchChange = function (kind, i, word, timeoutMs) {
    var before = window.explorerRenders || 0;
    performance.clearResourceTimings();
    return new Promise(function (resolve) {
      var t0 = 0, done = false, mo = null, timer = null;
      function finish(res) {
        if (done) return;
        done = true;
        if (mo) mo.disconnect();
        clearTimeout(timer);
        resolve(res);
      }
      function check() {
        if ((window.explorerRenders || 0) <= before || window.explorerDrawnHash !== location.hash) return;
        var t1 = performance.now();
        performance.measure("bench change " + i + " (" + kind + ")", { start: t0, end: t1 });
        var requests = performance.getEntriesByType("resource").filter(function (e) {
          return e.initiatorType === "fetch" && e.startTime >= t0;
        }).length;
        var err = document.getElementById("error"), ferr = document.getElementById("filter-error");
        finish({ ms: t1 - t0, requests: requests, error: !err.hidden ? err.textContent : !ferr.hidden ? ferr.textContent : "", skipped: false });
      }
      mo = new MutationObserver(check);
      mo.observe(document.body, { attributes: true, attributeFilter: ["data-renders"] });
      timer = setTimeout(function () { finish({ ms: 0, requests: 0, error: "not drawn within " + timeoutMs + " ms", skipped: false }); }, timeoutMs);
      t0 = performance.now();
      if (!actions[kind](i, word)) finish({ ms: 0, requests: 0, error: "", skipped: true });
    });
  };
})();
