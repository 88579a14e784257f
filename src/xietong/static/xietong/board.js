/* The pipeline board: drag a card to another column to move it (SortableJS).
 *
 * A drop posts the target stage to the card's move URL (data-move-url, which carries the board's
 * filters) with the CSRF token of the page (<body hx-headers>, as htmx sends it) and the HX-Request
 * header. The answer holds the changed columns as htmx out-of-band swaps, applied with htmx.swap:
 * on success the card shows in its new column and both columns' counts and sums follow; when a gate
 * refuses (409) the card is back in its column with the reason on it (role="alert"). The card's
 * "Move to…" form does the same without a page load; without JavaScript it posts normally.
 */
(function () {
  "use strict";

  function csrfHeaders() {
    var headers = { "HX-Request": "true" };
    try {
      var extra = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      Object.keys(extra).forEach(function (key) { headers[key] = extra[key]; });
    } catch (e) { /* no token: the server answers 403 and the page shows it */ }
    return headers;
  }

  function apply(html) {
    if (window.htmx && typeof window.htmx.swap === "function") {
      window.htmx.swap(document.body, html, { swapStyle: "none" });
    }
  }

  function move(card, stage, undo) {
    var url = card.getAttribute("data-move-url");
    if (!url) { undo(); return; }
    var body = new FormData();
    body.append("stage", stage);
    card.classList.add("xt-board-busy");
    card.setAttribute("aria-busy", "true");
    fetch(url, { method: "POST", headers: csrfHeaders(), body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) { return { ok: response.ok, status: response.status, text: text }; });
      })
      .then(function (result) {
        if (result.text && result.text.indexOf("hx-swap-oob") !== -1) {
          apply(result.text);  // the columns as the server has them now (moved, or back with the reason)
          var again = document.getElementById(card.id);
          var alert = again && again.querySelector('[role="alert"]');
          if (alert) again.scrollIntoView({ block: "nearest" });
        } else {
          undo();
          card.classList.remove("xt-board-busy");
          card.removeAttribute("aria-busy");
          if (!result.ok) window.alert(result.status === 403 ? (document.documentElement.lang.indexOf("zh") === 0 ? "没有权限。" : "Not allowed.") : (result.text || String(result.status)).slice(0, 200));
        }
      })
      .catch(function () {
        undo();
        card.classList.remove("xt-board-busy");
        card.removeAttribute("aria-busy");
      });
  }

  function wire(root) {
    if (!window.Sortable || !root || !root.querySelectorAll) return;
    var lists = Array.prototype.slice.call(root.querySelectorAll("[data-xt-board-cards]"));
    if (root.hasAttribute && root.hasAttribute("data-xt-board-cards")) lists.push(root);
    lists.forEach(function (list) {
      if (list.xtSortable) return;
      list.xtSortable = window.Sortable.create(list, {
        group: "xt-board",
        sort: false,  // a column is ordered by amount: only moves between columns mean something
        draggable: "[data-xt-card][data-xt-editable]",  // read-only cards stay put
        filter: "a, button, select, input, textarea, summary, label, .alert",
        preventOnFilter: false,
        animation: 150,
        ghostClass: "xt-board-ghost",
        chosenClass: "xt-board-dragging",
        delay: 150,
        delayOnTouchOnly: true,  // on a phone a short press scrolls, a long press drags
        onEnd: function (event) {
          if (event.from === event.to) return;
          var card = event.item;
          var from = event.from;
          var index = event.oldIndex;
          var undo = function () {
            var ref = from.children[index] || null;
            from.insertBefore(card, ref);
          };
          move(card, event.to.getAttribute("data-stage"), undo);
        }
      });
    });
  }

  // "Move to…" on a card: the same request without a page load.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-xt-move]") : null;
    if (!form || !window.fetch) return;
    var card = form.closest("[data-xt-card]");
    if (!card) return;
    event.preventDefault();
    var select = form.querySelector("select[name=stage]");
    move(card, select ? select.value : "", function () {});
  });

  function start() {
    wire(document);
    if (window.htmx) window.htmx.onLoad(function (element) { wire(element); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
