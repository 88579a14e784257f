/* Customers: the visit check-in (the browser's location) and the list's bulk selection.
   No inline scripts (strict CSP): everything is delegated from here, like app.js. */
(function () {
  "use strict";

  // --- visit check-in (customers/followups/checkin.html) ----------------------------------------
  // "Find my location" (and "Check in" while no location is known yet) asks navigator.geolocation,
  // fills the hidden latitude / longitude / accuracy fields and says what it found. The server
  // records its own time; the phone only gives the place.
  function geoField(form, name) {
    return form.querySelector("[data-xt-geo=" + name + "]");
  }
  function geoStatus(form, text, isError) {
    var status = form.querySelector("[data-xt-geo-status]");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("text-danger", Boolean(isError));
  }
  function locate(form, then) {
    if (!navigator.geolocation) {
      geoStatus(form, form.getAttribute("data-xt-geo-denied"), true);
      return;
    }
    geoStatus(form, form.getAttribute("data-xt-geo-waiting"), false);
    navigator.geolocation.getCurrentPosition(function (pos) {
      geoField(form, "latitude").value = pos.coords.latitude.toFixed(6);
      geoField(form, "longitude").value = pos.coords.longitude.toFixed(6);
      geoField(form, "accuracy").value = Math.round(pos.coords.accuracy);
      geoStatus(form, form.getAttribute("data-xt-geo-found") + ": " + pos.coords.latitude.toFixed(5) + ", " +
        pos.coords.longitude.toFixed(5) + " (±" + Math.round(pos.coords.accuracy) + " m)", false);
      if (then) then();
    }, function () {
      geoStatus(form, form.getAttribute("data-xt-geo-denied"), true);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-xt-geo-locate]");
    if (!button) return;
    var form = button.closest("[data-xt-checkin]");
    if (form) locate(form);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-xt-checkin]");
    if (!form || geoField(form, "latitude").value) return;
    event.preventDefault();
    locate(form, function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
  });

  // --- bulk actions on lists (customers/customer_list.html) --------------------------------------
  // The row checkboxes live in the table, the action form above it: on submit the checked ids go
  // into the form's hidden "ids" field; "select all" toggles the page's rows.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-xt-bulk-all]");
    if (!all) return;
    var table = all.closest("table");
    Array.prototype.forEach.call(table.querySelectorAll("[data-xt-bulk-item]"), function (box) {
      box.checked = all.checked;
    });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-xt-bulk]");
    if (!form) return;
    var scope = form.parentElement;
    var ids = Array.prototype.map.call(scope.querySelectorAll("[data-xt-bulk-item]:checked"), function (box) {
      return box.value;
    });
    form.querySelector("[data-xt-bulk-ids]").value = ids.join(",");
  }, true);
})();
