/* The course website: maths, the menu on small screens, and offline search. No network. */
(function () {
  "use strict";

  // Maths: each .math element holds TeX source, written by the site builder.
  function renderMaths() {
    var elements = document.querySelectorAll(".math");
    if (!elements.length) return;
    if (!window.katex) {
      console.error("KaTeX did not load: the maths stays as TeX source");
      return;
    }
    elements.forEach(function (element) {
      var tex = element.textContent;
      try {
        window.katex.render(tex, element, {
          displayMode: element.classList.contains("display"),
          throwOnError: true,
          strict: "ignore",
        });
      } catch (error) {
        element.classList.add("math-error");
        console.error("KaTeX could not typeset " + JSON.stringify(tex) + ": " + error.message);
      }
    });
  }

  // The sidebar is a drawer below 1000 px.
  function setUpMenu() {
    var button = document.querySelector(".menu-button");
    if (!button) return;
    function close() {
      document.body.classList.remove("nav-open");
      button.setAttribute("aria-expanded", "false");
    }
    button.addEventListener("click", function (event) {
      event.stopPropagation();
      var open = document.body.classList.toggle("nav-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".sidebar")) close();
    });
    document.querySelectorAll(".sidebar a").forEach(function (link) {
      link.addEventListener("click", close);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close();
    });
  }

  // Search: the index (search-index.js, one entry per section of each page) is loaded on first use.
  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function count(haystack, needle) {
    var n = 0, at = haystack.indexOf(needle);
    while (at !== -1 && n < 50) {
      n += 1;
      at = haystack.indexOf(needle, at + needle.length);
    }
    return n;
  }

  function snippet(text, query, terms) {
    var lower = text.toLowerCase();
    var at = lower.indexOf(query);
    if (at === -1) at = lower.indexOf(terms[0]);
    var start = Math.max(0, at - 60), end = Math.min(text.length, at + 140);
    var piece = (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
    var marked = escapeHtml(piece);
    var pattern = new RegExp("(" + terms.map(function (t) { return escapeRegExp(escapeHtml(t)); }).join("|") + ")", "gi");
    return marked.replace(pattern, "<mark>$1</mark>");
  }

  function search(index, raw) {
    var query = raw.trim().toLowerCase().replace(/\s+/g, " ");
    if (query.length < 2) return null;
    var terms = query.split(" ");
    var results = [];
    index.forEach(function (entry) {
      var heading = entry.s.toLowerCase();
      var text = heading + " " + entry.t.toLowerCase();
      for (var i = 0; i < terms.length; i++) if (text.indexOf(terms[i]) === -1) return;
      var score = 10 * count(text, query) + (heading.indexOf(query) !== -1 ? 40 : 0);
      terms.forEach(function (term) { score += Math.min(count(text, term), 10); });
      results.push({ entry: entry, score: score });
    });
    results.sort(function (a, b) { return b.score - a.score; });
    return { query: query, terms: terms, results: results.slice(0, 15) };
  }

  function setUpSearch() {
    var input = document.getElementById("search");
    var panel = document.getElementById("search-results");
    if (!input || !panel) return;
    var index = null, loading = false, waiting = [];

    function load(then) {
      if (index) return then();
      waiting.push(then);
      if (loading) return;
      loading = true;
      var script = document.createElement("script");
      script.src = input.getAttribute("data-index");
      script.onload = function () {
        index = window.SSD_SEARCH || [];
        waiting.splice(0).forEach(function (callback) { callback(); });
      };
      script.onerror = function () { console.error("could not load the search index " + script.src); };
      document.head.appendChild(script);
    }

    function show() {
      var found = search(index, input.value);
      if (!found) {
        panel.hidden = true;
        panel.innerHTML = "";
        return;
      }
      if (!found.results.length) {
        panel.innerHTML = '<p class="empty">' + escapeHtml(input.getAttribute("data-empty")) + "</p>";
      } else {
        panel.innerHTML = found.results.map(function (result) {
          var e = result.entry;
          return '<a href="' + escapeHtml(e.u) + '"><span class="where">' + escapeHtml(e.p) + "</span>" +
            '<span class="heading">' + escapeHtml(e.s) + "</span>" +
            '<span class="snippet">' + snippet(e.t || e.s, found.query, found.terms) + "</span></a>";
        }).join("");
      }
      panel.hidden = false;
    }

    var timer = null;
    input.addEventListener("focus", function () { load(function () {}); });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { load(show); }, 100);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        var first = panel.querySelector("a");
        if (first) window.location.href = first.getAttribute("href");
      } else if (event.key === "Escape") {
        panel.hidden = true;
        input.blur();
      } else if (event.key === "ArrowDown") {
        var link = panel.querySelector("a");
        if (link) { event.preventDefault(); link.focus(); }
      }
    });
    panel.addEventListener("click", function () { panel.hidden = true; });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".search")) panel.hidden = true;
    });
  }

  renderMaths();
  setUpMenu();
  setUpSearch();
})();
