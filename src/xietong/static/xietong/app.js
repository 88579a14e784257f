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

  // After htmx swaps a form that has errors, bring the error summary into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var summary = event.detail.target && event.detail.target.querySelector
      ? event.detail.target.querySelector(".xt-error-summary") : null;
    if (summary) {
      summary.scrollIntoView({ block: "nearest" });
      summary.focus({ preventScroll: true });
    }
  });
})();
