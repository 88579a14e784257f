/* XieTong page behaviour. No inline scripts (strict CSP): everything is delegated from here. */
(function () {
  "use strict";

  // Collapse / expand the left navigation on wide screens; the server reads the cookie so the
  // page renders in the chosen state without a flash.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-xt-toggle-nav]");
    if (!toggle) return;
    var collapsed = document.body.classList.toggle("xt-nav-collapsed");
    document.cookie = "xt_nav=" + (collapsed ? "collapsed" : "open") + "; path=/; max-age=31536000; samesite=lax";
  });

  // Copy a value (new tokens, initial passwords) to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-xt-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-xt-copy"));
    if (!source) return;
    var label = button.querySelector("[data-xt-copy-label]");
    var done = function () {
      if (label) label.textContent = button.getAttribute("data-xt-copied") || label.textContent;
      button.classList.add("btn-success");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done);
    } else {
      source.select();
      document.execCommand("copy");
      done();
    }
  });

  // Destructive actions ask once, naming what will happen.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-xt-confirm]");
    if (form && !window.confirm(form.getAttribute("data-xt-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A link to something inside a tab that is not shown (a record's "Log follow-up" → the follow-ups
  // panel in its tab) shows that tab first, then scrolls to it; the same for the address's #… on load.
  function revealInTab(id) {
    var target = id ? document.getElementById(id) : null;
    var pane = target && target.closest ? target.closest(".tab-pane") : null;
    if (!pane || !pane.id || !window.bootstrap) return false;
    var trigger = document.querySelector('[data-bs-toggle="tab"][data-bs-target="#' + pane.id + '"]');
    if (!trigger) return false;
    if (!pane.classList.contains("active")) window.bootstrap.Tab.getOrCreateInstance(trigger).show();
    target.scrollIntoView({ block: "start" });
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
    if (!link || link.hasAttribute("data-bs-toggle")) return;
    if (revealInTab(decodeURIComponent(link.getAttribute("href").slice(1)))) event.preventDefault();
  });
  if (window.location.hash.length > 1) revealInTab(decodeURIComponent(window.location.hash.slice(1)));

  // Progress bars take their width from data-xt-progress (0–100): the CSP blocks style attributes,
  // so the width is set here, on the page and on every piece htmx loads (polled progress fragments).
  function showProgress(root) {
    if (!root || !root.querySelectorAll) return;
    var bars = Array.prototype.slice.call(root.querySelectorAll("[data-xt-progress]"));
    if (root.hasAttribute && root.hasAttribute("data-xt-progress")) bars.push(root);
    bars.forEach(function (bar) {
      var percent = parseFloat(bar.getAttribute("data-xt-progress")) || 0;
      bar.style.width = Math.max(0, Math.min(100, percent)) + "%";
    });
  }
  showProgress(document);
  document.addEventListener("htmx:load", function (event) { showProgress(event.target); });

  // After htmx swaps a form that has errors, bring the error summary into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var summary = event.detail.target && event.detail.target.querySelector
      ? event.detail.target.querySelector(".xt-error-summary") : null;
    if (summary) {
      summary.scrollIntoView({ block: "nearest" });
      summary.focus({ preventScroll: true });
    }
  });
  // The global search of the top bar: htmx fills the dropdown (#search-results); it shows while the
  // box has focus and something to show; Escape closes it; arrow keys walk the results; "/" focuses
  // the box from anywhere but a field. Enter submits the form to the search page.
  function searchBox(el) {
    return el && el.closest ? el.closest("[data-xt-search]") : null;
  }
  function searchOpen(box, open) {
    var input = box.querySelector("input[type=search]");
    var panel = box.querySelector(".xt-search-panel");
    var show = Boolean(open && panel.textContent.trim());
    panel.hidden = !show;
    input.setAttribute("aria-expanded", show ? "true" : "false");
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var box = searchBox(target);
    if (box && target.classList.contains("xt-search-panel")) searchOpen(box, box.contains(document.activeElement));
  });
  document.addEventListener("focusin", function (event) {
    var box = searchBox(event.target);
    if (box && event.target.matches("input[type=search]")) searchOpen(box, true);
  });
  document.addEventListener("focusout", function (event) {
    var box = searchBox(event.target);
    if (box && !(event.relatedTarget && box.contains(event.relatedTarget))) searchOpen(box, false);
  });
  // A click on a result keeps the focus in the box (browsers that do not focus links on click
  // would otherwise close the panel before the click lands).
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".xt-search-panel")) event.preventDefault();
  });
  document.addEventListener("keydown", function (event) {
    var box = searchBox(event.target);
    if (box) {
      var input = box.querySelector("input[type=search]");
      var panel = box.querySelector(".xt-search-panel");
      if (event.key === "Escape" && !panel.hidden) {
        event.preventDefault();
        input.focus();
        searchOpen(box, false);
      } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !panel.hidden) {
        var links = Array.prototype.slice.call(panel.querySelectorAll("a[href]"));
        if (!links.length) return;
        event.preventDefault();
        var at = links.indexOf(document.activeElement);
        var next = event.key === "ArrowDown" ? at + 1 : (at === -1 ? links.length - 1 : at - 1);
        if (next < 0 || next >= links.length) input.focus(); else links[next].focus();
      }
      return;
    }
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable]")) return;
    var form = document.querySelector("[data-xt-search]");
    var field = form ? form.querySelector("input[type=search]") : null;
    if (field && field.offsetParent !== null) {
      event.preventDefault();
      field.focus();
      field.select();
    }
  });
})();

/* --- attachments: the files panel's drop zone (collaboration/attachments/panel.html) ------------ */
/* The form works without this (a multiple file input and an "Upload" button). With it, files dropped
   on the zone, or chosen in the input, are sent at once through htmx, and the upload's progress shows. */
(function () {
  "use strict";

  function zoneOf(el) {
    return el && el.closest ? el.closest("form[data-xt-dropzone]") : null;
  }
  function carriesFiles(event) {
    return Boolean(event.dataTransfer) && Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") !== -1;
  }
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = zoneOf(event.target);
      if (!zone || !carriesFiles(event)) return;
      event.preventDefault(); // allows the drop
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("xt-dropzone-over");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("xt-dropzone-over");
  });
  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    if (!zone || !carriesFiles(event)) return;
    event.preventDefault(); // the browser would open the file instead
    zone.classList.remove("xt-dropzone-over");
    var input = zone.querySelector("input[type=file]");
    if (!input || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    zone.requestSubmit();
  });
  document.addEventListener("change", function (event) {
    var zone = zoneOf(event.target);
    if (zone && event.target.matches("input[type=file]") && event.target.files.length) zone.requestSubmit();
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var zone = zoneOf(event.target);
    var bar = zone ? zone.querySelector(".xt-dropzone-progress") : null;
    if (!bar || !event.detail.lengthComputable || !event.detail.total) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });
})();

/* --- search selects: core.forms.SearchSelect ----------------------------------------------------- */
/* A select over a table too big to list holds only the chosen record and names, in data-xt-picker,
   the API list that searches it. Tom Select turns it into a search box: on focus it shows the first
   records, as the user types it asks the server (which applies visibility and searches names, codes
   and phones), and it shows the server's answer as it comes. Without JavaScript the select still
   posts the chosen record. */
(function () {
  "use strict";

  var PAGE = 20;

  function fields(select, name) {
    return (select.getAttribute(name) || "").split(" ").filter(Boolean);
  }
  // "name (code)" from data-xt-label="name code"; the text of the chosen option already reads so
  function labelOf(item, names) {
    var rest = names.slice(1).map(function (f) { return item[f]; }).filter(Boolean);
    return item[names[0]] + (rest.length ? " (" + rest.join(" ") + ")" : "");
  }

  function initPicker(select) {
    if (select.tomselect || !window.TomSelect) return;
    var source = new URL(select.getAttribute("data-xt-picker"), window.location.href);
    var label = fields(select, "data-xt-label");
    var detail = fields(select, "data-xt-detail");
    var empty = select.getAttribute("data-xt-empty") || "";
    var picker = new window.TomSelect(select, {
      valueField: "id",
      labelField: "name",
      searchField: [],
      maxOptions: PAGE,
      // the empty choice is no record: the box shows the placeholder; an optional one has a clear button
      allowEmptyOption: false,
      plugins: select.required ? {} : { clear_button: { title: select.getAttribute("data-xt-clear") || "" } },
      preload: "focus",
      loadThrottle: 250,
      placeholder: select.getAttribute("data-xt-placeholder") || "",
      // the server has searched: show what it answered, in its order
      score: function () { return function () { return 1; }; },
      load: function (query, callback) {
        var url = new URL(source);
        url.searchParams.set("page_size", PAGE);
        url.searchParams.set("q", query);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
          .then(function (data) {
            picker.clearOptions(); // drops the last query's answer, keeps the chosen record
            callback(data.results || []);
          })
          .catch(function () { callback(); });
      },
      render: {
        option: function (item, escape) {
          var more = detail.map(function (f) { return item[f]; }).filter(Boolean).join(" ");
          return "<div>" + escape(labelOf(item, label)) +
            (more ? ' <small class="text-body-secondary">' + escape(more) + "</small>" : "") + "</div>";
        },
        item: function (item, escape) { return "<div>" + escape(labelOf(item, label)) + "</div>"; },
        no_results: function (data, escape) { return '<div class="no-results">' + escape(empty) + "</div>"; },
      },
    });
    markInvalid(picker, select);
  }

  // A search box the server refused, or a required one left empty (the browser refuses the form),
  // is red until a record is chosen: the select itself is hidden, so its own state would not show.
  function markInvalid(picker, select) {
    if (select.getAttribute("aria-invalid") === "true") picker.wrapper.classList.add("is-invalid"); // the server refused it
    select.addEventListener("invalid", function () { picker.wrapper.classList.add("is-invalid"); });
    picker.on("change", function () {
      if (picker.getValue()) picker.wrapper.classList.remove("is-invalid");
    });
  }

  function initPickers(root) {
    if (!root || !root.querySelectorAll) return;
    var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-xt-picker]"));
    if (root.matches && root.matches("select[data-xt-picker]")) selects.push(root);
    selects.forEach(initPicker);
  }
  initPickers(document);
  document.addEventListener("htmx:load", function (event) { initPickers(event.target); });
})();
