// The explorer: signs in with a pasted token (sessionStorage), keeps the
// whole view in the URL hash (reload, share, back), and draws facets and a
// results table from the API of the same origin.
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var TOKEN_KEY = "assets.explorer.token";
  var DEFAULT_COLS = ["name", "registry", "repository", "class", "labels", "tags", "risk_score"];
  var ALL_COLS = ["name", "registry", "repository", "class", "labels", "tags", "risk_score", "image_tags", "os",
    "architecture", "created_at", "updated_at", "last_seen_at", "built_at", "size_bytes", "issues", "config_digest"];
  var SORTABLE = ["created_at", "updated_at", "class", "registry", "repository", "name", "risk_score", "issues",
    "built_at", "last_scan", "last_seen_at"];
  var FACET_LIMIT = 10, PAGE_LIMIT = 20, SUGGEST_LIMIT = 100;
  // When an edit is not known to be searchable yet: redraw after these
  // delays (the index refreshes every second).
  var REDRAW_AFTER_MS = [1200, 3000];
  var JSONAPI = "application/vnd.api+json";

  // Timings of filter changes, for tests and the curious: milliseconds from
  // the change to a drawn table with every visible facet count.
  window.explorerTimings = [];
  window.explorerRenders = 0;     // views drawn so far
  window.explorerDrawnHash = null; // the URL hash of the last view drawn

  var catalog = null;          // {scope, groups: [{id,name}], filters: [{id,name,type}]}
  var disjunctive = true;      // false once the server refused the parameter
  var renderSeq = 0;
  var state = readHash();
  var page = { next: "", prev: "" };

  // ---- the state in the URL ----
  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    var facets = {};
    p.getAll("facet").forEach(function (f) {
      var i = f.indexOf("=");
      if (i > 0) (facets[f.slice(0, i)] = facets[f.slice(0, i)] || []).push(f.slice(i + 1));
    });
    return {
      kind: ["tenants", "groups", "orgs"].indexOf(p.get("kind")) >= 0 ? p.get("kind") : "tenants",
      id: p.get("id") || "", q: p.get("q") || "", filter: p.get("filter") || "", facets: facets,
      cols: p.get("cols") ? p.get("cols").split(",") : DEFAULT_COLS.slice(), sort: p.get("sort") || "",
      after: p.get("after") || "", before: p.get("before") || "",
    };
  }
  function writeHash(s) {
    var p = new URLSearchParams();
    p.set("kind", s.kind);
    if (s.id) p.set("id", s.id);
    if (s.q) p.set("q", s.q);
    if (s.filter) p.set("filter", s.filter);
    Object.keys(s.facets).sort().forEach(function (g) {
      s.facets[g].forEach(function (v) { p.append("facet", g + "=" + v); });
    });
    if (s.cols.join(",") !== DEFAULT_COLS.join(",")) p.set("cols", s.cols.join(","));
    if (s.sort) p.set("sort", s.sort);
    if (s.after) p.set("after", s.after);
    if (s.before) p.set("before", s.before);
    return "#" + p.toString();
  }
  // change moves to a new view: a history entry, then hashchange draws it.
  function change(patch, keepPage) {
    var s = Object.assign({}, state, patch);
    if (!keepPage) { s.after = ""; s.before = ""; }
    var h = writeHash(s);
    if (h === location.hash) { state = s; draw(); } else location.hash = h;
  }

  // ---- the API ----
  function base() { return "/rest/" + state.kind + "/" + encodeURIComponent(state.id) + "/inventory/assets"; }
  function ApiError(status, err) {
    this.status = status;
    this.detail = (err && (err.detail || err.title)) || ("HTTP " + status);
    this.source = (err && err.source) || {};
  }
  function api(path, params, opts) {
    opts = opts || {};
    var url = path;
    if (params) {
      var qs = new URLSearchParams();
      Object.keys(params).forEach(function (k) { if (params[k] !== "" && params[k] != null) qs.set(k, params[k]); });
      if (qs.toString()) url += "?" + qs.toString();
    }
    var headers = Object.assign({ Accept: JSONAPI, Authorization: "Token " + sessionStorage.getItem(TOKEN_KEY) }, opts.headers || {});
    if (opts.body) headers["Content-Type"] = JSONAPI;
    return fetch(url, { method: opts.method || "GET", headers: headers, body: opts.body ? JSON.stringify(opts.body) : undefined })
      .then(function (res) {
        if (res.status === 204) return { status: 204, doc: null, headers: res.headers };
        return res.text().then(function (t) {
          var doc = null;
          try { doc = t ? JSON.parse(t) : null; } catch (e) { doc = null; }
          if (!res.ok) throw new ApiError(res.status, doc && doc.errors && doc.errors[0]);
          return { status: res.status, doc: doc, headers: res.headers };
        });
      });
  }
  function cursorOf(link, name) {
    return link ? new URL(link, location.href).searchParams.get(name) || "" : "";
  }

  // ---- errors as text ----
  function showError(e) {
    var box = $("error");
    if (!e) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = e.detail || String(e);
    box.hidden = false;
  }
  function showFilterError(e, composed) {
    var box = $("filter-error");
    if (!e) { box.hidden = true; box.textContent = ""; return false; }
    var pos = RSQL.errorPosition(e.detail, state.filter, composed.offset);
    box.textContent = (pos >= 0 && state.filter ? RSQL.caret(state.filter, pos) + "\n" : "") + e.detail;
    box.hidden = false;
    return true;
  }
  function isFilterError(e) { return e instanceof ApiError && e.status === 400 && e.source.parameter === "filter"; }

  // ---- catalogue of the scope: groups and filters ----
  function loadCatalog() {
    var scope = state.kind + "/" + state.id;
    if (catalog && catalog.scope === scope) return Promise.resolve(catalog);
    return Promise.all([api(base() + "/groups", { limit: 100 }), api(base() + "/filters", { limit: 100 })]).then(function (r) {
      catalog = {
        scope: scope,
        groups: r[0].doc.data.map(function (g) { return { id: g.id, name: g.attributes.name }; }),
        filters: r[1].doc.data.map(function (f) { return { id: f.id, name: f.attributes.name, type: f.attributes.type }; }),
        values: {},
      };
      return catalog;
    });
  }
  function filterNames() { return catalog.filters.map(function (f) { return f.name; }); }

  // ---- drawing a view ----
  function draw() {
    state = readHash();
    $("scope-kind").value = state.kind;
    $("scope-id").value = state.id;
    $("q").value = state.q;
    if (document.activeElement !== $("filter")) $("filter").value = state.filter;
    drawColumnPicker();
    var signedIn = !!sessionStorage.getItem(TOKEN_KEY);
    $("signout-btn").hidden = !signedIn;
    if (!signedIn || !state.id) {
      showError(signedIn ? null : { detail: "Paste a token and sign in, then choose a scope." });
      return Promise.resolve();
    }
    var seq = ++renderSeq, t0 = performance.now(), hash = location.hash;
    showError(null);
    return loadCatalog().then(function () {
      return Promise.all([drawTable(seq), drawFacets(seq)]);
    }).then(function (r) {
      if (seq !== renderSeq) return;
      var filterErr = r[0] || r[1];
      if (!filterErr) showFilterError(null);
      return new Promise(requestAnimationFrame).then(function () {
        var ms = performance.now() - t0;
        window.explorerTimings.push(ms);
        window.explorerDrawnHash = hash;
        window.explorerRenders++;
        document.body.dataset.renders = String(window.explorerRenders);
      });
    }).catch(function (e) {
      if (seq !== renderSeq) return;
      // Nothing of an older view stays on screen under the error.
      drawRows([]);
      $("total").textContent = "";
      $("total").dataset.count = "";
      showError(e);
      window.explorerDrawnHash = hash;
      window.explorerRenders++;
      document.body.dataset.renders = String(window.explorerRenders);
    });
  }

  // drawTable draws a page of results; it resolves true when the filter
  // was refused (and shown under the box).
  function drawTable(seq) {
    var composed = RSQL.compose(state.filter, state.q, state.facets);
    var params = { limit: PAGE_LIMIT, filter: composed.text, sort: state.sort, meta_count: "with",
      "fields[container_images]": state.cols.join(","), starting_after: state.after, ending_before: state.before };
    return api(base(), params).then(function (r) {
      if (seq !== renderSeq) return false;
      page.next = cursorOf(r.doc.links.next, "starting_after");
      page.prev = cursorOf(r.doc.links.prev, "ending_before");
      $("next").disabled = !page.next;
      $("prev").disabled = !page.prev;
      $("total").textContent = r.doc.meta ? r.doc.meta.count + " assets" : "";
      $("total").dataset.count = r.doc.meta ? r.doc.meta.count : "";
      drawRows(r.doc.data);
      return false;
    }, function (e) {
      if (seq !== renderSeq) return false;
      if (isFilterError(e)) {
        drawRows([]);
        $("total").textContent = "";
        $("total").dataset.count = "";
        return showFilterError(e, composed);
      }
      throw e;
    });
  }

  function cell(v, col) {
    if (v == null) return "";
    if (col === "class") return v.display_name || "";
    if (Array.isArray(v)) return v.map(function (x) { return typeof x === "object" ? JSON.stringify(x) : x; }).join(", ");
    if (typeof v === "object") return Object.keys(v).sort().map(function (k) { return k + ":" + (typeof v[k] === "object" ? JSON.stringify(v[k]) : v[k]); }).join(", ");
    return String(v);
  }

  function drawRows(rows) {
    var head = document.createElement("tr");
    head.appendChild(el("th", { scope: "col" }, [el("span", { class: "sr" }, ["Select"])]));
    state.cols.forEach(function (c) {
      var th = el("th", { scope: "col", "data-col": c });
      if (SORTABLE.indexOf(c) >= 0) {
        var dir = state.sort === c ? "ascending" : state.sort === "-" + c ? "descending" : "none";
        th.setAttribute("aria-sort", dir);
        var b = el("button", { type: "button", "data-sort": c }, [c + (dir === "ascending" ? " ▲" : dir === "descending" ? " ▼" : "")]);
        b.addEventListener("click", function () { change({ sort: state.sort === c ? "-" + c : c }); });
        th.appendChild(b);
      } else th.textContent = c;
      head.appendChild(th);
    });
    $("table").tHead.replaceChildren(head);
    var body = $("table").tBodies[0];
    body.replaceChildren.apply(body, rows.map(function (a) {
      var tr = el("tr", { "data-id": a.id });
      tr.appendChild(el("td", {}, [el("input", { type: "checkbox", class: "pick", "aria-label": "select " + a.id, value: a.id })]));
      state.cols.forEach(function (c, i) {
        var td = el("td", { "data-col": c });
        var text = cell(a.attributes && a.attributes[c], c);
        if (i === 0) {
          var b = el("button", { type: "button", class: "open-asset" }, [text || a.id]);
          b.addEventListener("click", function () { openAsset(a.id); });
          td.appendChild(b);
        } else td.textContent = text;
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.append(c); });
    return e;
  }

  // ---- facets ----
  function drawFacets(seq) {
    return Promise.all(catalog.groups.map(function (g) { return groupValues(g, ""); })).then(function (all) {
      if (seq !== renderSeq) return false;
      var refused = false;
      var boxes = all.map(function (r, i) {
        if (r.error && isFilterError(r.error)) { refused = true; return null; }
        if (r.error) return facetError(catalog.groups[i], r.error);
        return facetBox(catalog.groups[i], r.doc);
      }).filter(Boolean);
      $("facets").replaceChildren.apply($("facets"), boxes);
      return refused;
    });
  }

  // groupValues asks a group's counts under the filters of the other
  // groups: with disjunctive=true when the server knows it; otherwise the
  // group's own clause is left out here, which counts the same.
  function groupValues(g, after) {
    var params = { limit: FACET_LIMIT, meta_fields: "count", starting_after: after };
    var sent = disjunctive; // other groups' answers may flip it meanwhile
    if (sent) {
      params.filter = RSQL.compose(state.filter, state.q, state.facets).text;
      params.disjunctive = "true";
    } else params.filter = RSQL.compose(state.filter, state.q, state.facets, g.name).text;
    return api(base() + "/groups/" + g.id + "/values", params).then(function (r) { return { doc: r.doc }; }, function (e) {
      if (sent && e instanceof ApiError && e.status === 400 && e.source.parameter === "disjunctive") {
        disjunctive = false;
        return groupValues(g, after);
      }
      return { error: e };
    });
  }

  // facetError shows why a group has no counts, as the API's detail.
  function facetError(g, e) {
    return el("fieldset", { "data-group": g.name }, [el("legend", {}, [g.name]), el("p", { class: "facet-error", role: "alert" }, [e.detail || String(e)])]);
  }

  function facetBox(g, doc) {
    var fs = el("fieldset", { "data-group": g.name });
    fs.appendChild(el("legend", {}, [g.name]));
    var list = el("div", { class: "values" });
    fs.appendChild(list);
    addValues(g, list, doc.data);
    if (!doc.data.length) list.appendChild(el("p", { class: "none" }, ["no values here"]));
    var next = cursorOf(doc.links && doc.links.next, "starting_after");
    if (next) {
      var more = el("button", { type: "button", class: "more" }, ["More"]);
      more.addEventListener("click", function () {
        groupValues(g, next).then(function (r) {
          if (r.error) return showError(r.error);
          addValues(g, list, r.doc.data);
          next = cursorOf(r.doc.links && r.doc.links.next, "starting_after");
          if (!next) more.remove();
        });
      });
      fs.appendChild(more);
    }
    return fs;
  }

  // addValues adds checkboxes; tags are nested under their key.
  function addValues(g, list, data) {
    var filterable = RSQL.selectorOf(g.name, filterNames()) !== null;
    var chosen = state.facets[g.name] || [];
    data.forEach(function (v) {
      var value = v.attributes.value, count = v.meta && v.meta.count != null ? v.meta.count : "";
      var label = value;
      var target = list;
      if (g.name === "tags") {
        var i = value.indexOf(":"), key = i < 0 ? value : value.slice(0, i);
        label = i < 0 ? "" : value.slice(i + 1);
        target = list.querySelector('details[data-key="' + CSS.escape(key) + '"]');
        if (!target) {
          target = el("details", { "data-key": key }, [el("summary", {}, [key])]);
          list.appendChild(target);
        }
        if (chosen.indexOf(value) >= 0) target.open = true;
      }
      var box = el("input", { type: "checkbox", value: value, "data-value": value });
      box.checked = chosen.indexOf(value) >= 0;
      box.disabled = !filterable;
      box.addEventListener("change", function () { toggleFacet(g.name, value, box.checked); });
      target.appendChild(el("label", { "data-value": value }, [el("span", {}, [box, " " + label]), el("span", { class: "count" }, [String(count)])]));
    });
  }

  function toggleFacet(group, value, on) {
    var facets = JSON.parse(JSON.stringify(state.facets));
    var vs = (facets[group] || []).filter(function (v) { return v !== value; });
    if (on) vs.push(value);
    if (vs.length) facets[group] = vs; else delete facets[group];
    change({ facets: facets });
  }

  // ---- columns ----
  function drawColumnPicker() {
    var box = $("column-list");
    box.replaceChildren.apply(box, ALL_COLS.map(function (c) {
      var cb = el("input", { type: "checkbox", value: c });
      cb.checked = state.cols.indexOf(c) >= 0;
      cb.addEventListener("change", function () {
        var cols = ALL_COLS.filter(function (x) { return x === c ? cb.checked : state.cols.indexOf(x) >= 0; });
        if (cols.length) change({ cols: cols }, true);
      });
      return el("label", {}, [cb, " " + c]);
    }));
  }

  // ---- one asset: view and edit ----
  var openID = "";
  function openAsset(id) {
    openID = id;
    $("asset-error").hidden = true;
    api(base() + "/" + id).then(function (r) {
      var a = r.doc.data.attributes;
      $("asset-title").textContent = a.name || id;
      var facts = $("asset-facts");
      facts.replaceChildren();
      ["registry", "repository", "image_tags", "os", "architecture", "risk_score", "updated_at"].forEach(function (k) {
        if (a[k] != null) { facts.append(el("dt", {}, [k]), el("dd", {}, [cell(a[k], k)])); }
      });
      $("asset-class").value = "";
      $("asset-class").dataset.current = a.class ? a.class.display_name : "";
      $("asset-labels").value = (a.labels || []).join(", ");
      $("asset-tags").value = Object.keys(a.tags || {}).sort().map(function (k) { return k + "=" + a.tags[k]; }).join(", ");
      if (!$("asset").open) $("asset").showModal();
      $("asset-labels").focus();
    }, showError);
  }
  function saveAsset() {
    var attrs = {
      labels: $("asset-labels").value.split(",").map(function (s) { return s.trim(); }).filter(Boolean),
      tags: {},
    };
    $("asset-tags").value.split(",").map(function (s) { return s.trim(); }).filter(Boolean).forEach(function (kv) {
      var i = kv.indexOf("=");
      attrs.tags[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? "" : kv.slice(i + 1);
    });
    if ($("asset-class").value) attrs.class = { display_name: $("asset-class").value };
    var body = { data: { type: "container_images", id: openID, attributes: attrs } };
    return patch(base() + "/" + openID, body).then(function () {
      $("asset").close();
      return draw();
    }, function (e) {
      $("asset-error").textContent = e.detail;
      $("asset-error").hidden = false;
    });
  }
  // patch asks the API to answer once the change is searchable, so the
  // table drawn next shows it. When the answer does not say the preference
  // was applied (a 202: its bound passed; or a server without it), the
  // view is drawn again a little later, when the index has caught up.
  function patch(path, body) {
    return api(path, null, { method: "PATCH", body: body, headers: { Prefer: "wait-for=searchable" } }).then(function (r) {
      var applied = r.status !== 202 && /wait-for=searchable/.test(r.headers.get("Preference-Applied") || "");
      if (!applied) REDRAW_AFTER_MS.forEach(function (ms) { setTimeout(draw, ms); });
      return r;
    });
  }
  function bulkLabel(label) {
    var ids = Array.prototype.map.call(document.querySelectorAll("#table .pick:checked"), function (c) { return c.value; });
    if (!label || !ids.length) return showError({ detail: "Select rows and type a label to add." });
    var body = { data: ids.map(function (id) { return { type: "container_images", id: id, attributes: { labels: { add: [label] } } }; }) };
    return patch(base(), body).then(function () { $("bulk-label").value = ""; return draw(); }, showError);
  }

  // ---- autocomplete of the filter box ----
  var suggestions = [], active = -1, token = null;
  function suggest() {
    var input = $("filter");
    token = RSQL.currentToken(input.value, input.selectionStart);
    if (!token || !catalog) return closeSuggest();
    var p = token.prefix.toLowerCase();
    if (token.kind === "field") {
      var names = [];
      catalog.filters.forEach(function (f) { names.push(f.type === "object" ? f.name + "." : f.name); });
      return showSuggest(names.filter(function (n) { return n.toLowerCase().indexOf(p) === 0 && n !== token.prefix; }));
    }
    var field = token.field, key = "";
    var dot = field.indexOf(".");
    if (dot > 0) { key = field.slice(dot + 1); field = field.slice(0, dot); }
    var f = catalog.filters.find(function (x) { return x.name === field; });
    if (!f || field === "q") return closeSuggest();
    var cacheKey = f.id + "/" + key, tok = token;
    var got = catalog.values[cacheKey] ? Promise.resolve(catalog.values[cacheKey]) :
      api(base() + "/filters/" + f.id + "/values", { limit: SUGGEST_LIMIT, key: key }).then(function (r) {
        return (catalog.values[cacheKey] = r.doc.data.map(function (v) { return v.attributes.value; }).filter(Boolean));
      });
    got.then(function (vs) {
      if (tok !== token) return;
      showSuggest(vs.filter(function (v) { return v.toLowerCase().indexOf(p) === 0; }).map(function (v) {
        return /^[A-Za-z0-9_.:\/@-]+$/.test(v) ? v : RSQL.quote(v);
      }));
    }, showError);
  }
  function showSuggest(items) {
    suggestions = items.slice(0, 20);
    active = -1;
    var ul = $("suggest");
    ul.replaceChildren.apply(ul, suggestions.map(function (s, i) {
      var li = el("li", { role: "option", id: "suggest-" + i, "aria-selected": "false" }, [s]);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); accept(i); });
      return li;
    }));
    ul.hidden = suggestions.length === 0;
    $("filter").setAttribute("aria-expanded", String(!ul.hidden));
  }
  function closeSuggest() { showSuggest([]); }
  function moveActive(d) {
    if (!suggestions.length) return;
    active = (active + d + suggestions.length) % suggestions.length;
    Array.prototype.forEach.call($("suggest").children, function (li, i) { li.setAttribute("aria-selected", String(i === active)); });
    $("filter").setAttribute("aria-activedescendant", "suggest-" + active);
  }
  function accept(i) {
    var input = $("filter"), at = input.selectionStart;
    var text = input.value.slice(0, token.start) + suggestions[i] + input.value.slice(at);
    input.value = text;
    var caretAt = token.start + suggestions[i].length;
    input.setSelectionRange(caretAt, caretAt);
    closeSuggest();
    input.focus();
  }

  // ---- wiring ----
  $("signin").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = $("token").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token").value = "";
    catalog = null;
    draw();
  });
  $("signout-btn").addEventListener("click", function () { sessionStorage.removeItem(TOKEN_KEY); catalog = null; draw(); });
  $("scope").addEventListener("submit", function (e) {
    e.preventDefault();
    change({ kind: $("scope-kind").value, id: $("scope-id").value.trim(), facets: {} });
  });
  $("search").addEventListener("submit", function (e) {
    e.preventDefault();
    closeSuggest();
    change({ q: $("q").value.trim(), filter: $("filter").value.trim() });
  });
  $("filter").addEventListener("input", suggest);
  $("filter").addEventListener("blur", closeSuggest);
  $("filter").addEventListener("keydown", function (e) {
    if ($("suggest").hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); moveActive(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); moveActive(-1); }
    else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) { e.preventDefault(); accept(active); }
    else if (e.key === "Escape") closeSuggest();
  });
  $("next").addEventListener("click", function () { if (page.next) change({ after: page.next, before: "" }, true); });
  $("prev").addEventListener("click", function () { if (page.prev) change({ before: page.prev, after: "" }, true); });
  $("bulk").addEventListener("submit", function (e) { e.preventDefault(); bulkLabel($("bulk-label").value.trim()); });
  $("asset-save").addEventListener("click", saveAsset);
  $("asset-close").addEventListener("click", function () { $("asset").close(); });
  window.addEventListener("hashchange", draw);
  draw();
})();
