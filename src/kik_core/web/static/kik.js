/* kik: filter and search the measure list. Without JavaScript the full list is shown. */
(function () {
  "use strict";
  var form = document.getElementById("filter");
  var list = document.getElementById("liste");
  var count = document.getElementById("treffer");
  if (!form || !list || !count) {
    return;
  }
  var items = Array.prototype.slice.call(list.children);
  var total = Number(count.getAttribute("data-total"));
  var fields = ["suche", "feld", "status", "partner"];
  // "nur prioritäre" / "nur überfällige" (issue 17): only where the concept has them
  var checks = ["prioritaer", "ueberfaellig"].filter(function (name) {
    return Boolean(form.elements[name]);
  });

  function noun(n) {
    return n === 1 ? count.getAttribute("data-noun-one") : count.getAttribute("data-noun-other");
  }

  function apply() {
    var words = form.elements.suche.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var feld = form.elements.feld.value;
    var status = form.elements.status.value;
    var partner = form.elements.partner.value;
    var shown = 0;
    items.forEach(function (item) {
      var text = item.getAttribute("data-suche");
      var partners = item.getAttribute("data-partner").split("|");
      var ok = (!feld || item.getAttribute("data-feld") === feld) &&
        (!status || item.getAttribute("data-status") === status) &&
        (!partner || partners.indexOf(partner) >= 0) &&
        words.every(function (word) { return text.indexOf(word) >= 0; }) &&
        checks.every(function (name) {
          return !form.elements[name].checked || item.getAttribute("data-" + name) === "ja";
        });
      item.hidden = !ok;
      if (ok) {
        shown += 1;
      }
    });
    count.textContent = shown === total
      ? total + " " + noun(total)
      : shown + " von " + total + " " + noun(total) + " angezeigt";
  }

  var params = new URLSearchParams(window.location.search);
  fields.forEach(function (name) {
    if (params.has(name)) {
      form.elements[name].value = params.get(name);
    }
  });
  checks.forEach(function (name) {
    form.elements[name].checked = params.get(name) === "ja";
  });
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    apply();
  });
  form.addEventListener("reset", function () {
    window.setTimeout(apply, 0);
  });
  apply();
}());
