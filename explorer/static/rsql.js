// Pure helpers of the explorer: quoting RSQL values, composing the filter
// the API receives from the search box, the filter box and the facet
// choices, and mapping the API's error position back onto the filter box.
"use strict";
var RSQL = (function () {
  // quote makes any text one RSQL value: double quotes, backslash escapes.
  function quote(v) {
    return '"' + String(v).replace(/[\\"]/g, "\\$&") + '"';
  }

  // selectorOf is the filter selector of a group; null when the group
  // cannot be filtered on (e.g. os). Tags are filtered per key.
  function selectorOf(group, filterNames) {
    if (group === "tags") return "tags";
    return filterNames.indexOf(group) >= 0 ? group : null;
  }

  // groupClause is the OR of a group's chosen values: field=in=(a,b); for
  // tags, values are key:value and become tags.key=in=(...) per key.
  function groupClause(group, values) {
    if (!values || values.length === 0) return "";
    if (group !== "tags") return group + "=in=(" + values.map(quote).join(",") + ")";
    var byKey = {};
    values.forEach(function (kv) {
      var i = kv.indexOf(":");
      var k = i < 0 ? kv : kv.slice(0, i);
      (byKey[k] = byKey[k] || []).push(i < 0 ? "" : kv.slice(i + 1));
    });
    var parts = Object.keys(byKey).sort().map(function (k) {
      return "tags." + k + "=in=(" + byKey[k].map(quote).join(",") + ")";
    });
    return parts.length === 1 ? parts[0] : "(" + parts.join(",") + ")";
  }

  // compose ANDs the user's filter (first, so an error position maps back
  // onto the box), the q search and each group's clause except skip's.
  // It returns the text and the offset at which the user's filter starts.
  function compose(filter, q, facets, skip) {
    var parts = [], offset = 0;
    filter = (filter || "").trim();
    var rest = [];
    if (q && q.trim()) rest.push("q==" + quote(q.trim()));
    Object.keys(facets || {}).sort().forEach(function (g) {
      if (g !== skip) {
        var c = groupClause(g, facets[g]);
        if (c) rest.push(c);
      }
    });
    if (filter) {
      if (rest.length) { parts.push("(" + filter + ")"); offset = 1; } else parts.push(filter);
    }
    return { text: parts.concat(rest).join(";"), offset: offset };
  }

  // errorPosition reads "at position N" (a byte offset in the composed
  // filter) from the API's detail and returns the character index in the
  // user's filter, or -1.
  function errorPosition(detail, filter, offset) {
    var m = /at position (\d+)/.exec(detail || "");
    if (!m) return -1;
    var bytes = parseInt(m[1], 10) - offset;
    if (bytes < 0) return -1;
    var enc = new TextEncoder(), n = 0;
    for (var i = 0; i < filter.length; i++) {
      if (n >= bytes) return i;
      n += enc.encode(filter[i]).length;
    }
    return filter.length;
  }

  // caret draws the filter with a ^ under the character at pos.
  function caret(filter, pos) {
    return filter + "\n" + " ".repeat(Math.max(0, pos)) + "^";
  }

  // currentToken finds what the caret is in: a selector being typed
  // (kind "field") or the value after an operator (kind "value").
  function currentToken(text, at) {
    var before = text.slice(0, at);
    // Inside a list: field=in=(a,"b, the value after the last comma.
    var list = /([A-Za-z0-9_.]+)=(?:in|out)=\(([^()]*)$/.exec(before);
    if (list) {
      var item = list[2].slice(list[2].lastIndexOf(",") + 1);
      var lead = /^\s*/.exec(item)[0].length; // a quote is replaced with the rest
      return { kind: "value", field: list[1], prefix: item.slice(lead).replace(/^["']/, ""), start: at - item.length + lead };
    }
    var start = Math.max(before.lastIndexOf(";"), before.lastIndexOf(","), before.lastIndexOf("(")) + 1;
    var piece = before.slice(start);
    var op = /^(\s*)([A-Za-z0-9_.]+)(==|!=|=[a-z]+=|=q=)(.*)$/.exec(piece);
    if (op) {
      return { kind: "value", field: op[2], prefix: op[4].replace(/^["']/, ""), start: start + op[1].length + op[2].length + op[3].length };
    }
    var sel = /^(\s*)([A-Za-z0-9_.]*)$/.exec(piece);
    if (sel) return { kind: "field", prefix: sel[2], start: start + sel[1].length };
    return null;
  }

  return { quote: quote, selectorOf: selectorOf, groupClause: groupClause, compose: compose,
    errorPosition: errorPosition, caret: caret, currentToken: currentToken };
})();
