/* Visits pages: confirmations and the activity composer. No inline scripts (CSP). */
(function () {
  "use strict";
  // a form with data-confirm asks first
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // the composer's tabs show which kind of activity is being logged
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-mode-tab]");
    if (!tab) return;
    tab.parentElement.querySelectorAll("[data-mode-tab]").forEach(function (other) {
      other.classList.toggle("active", other === tab);
      other.setAttribute("aria-selected", other === tab ? "true" : "false");
    });
  });
  // the phone action bar's buttons open the composer in a mode and bring it into view
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-compose-mode]");
    if (!button) return;
    var tab = document.querySelector('#composer [data-mode-tab="' + button.dataset.composeMode + '"]');
    var composer = document.getElementById("composer");
    if (tab) {
      event.preventDefault();
      tab.click();
    }
    if (composer) composer.scrollIntoView({ behavior: "smooth", block: "start" });
  });
  // after a composer form arrives, put the cursor where the user types first
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.elt;
    if (source && source.hasAttribute && source.hasAttribute("data-initial-load")) {
      source.removeAttribute("data-initial-load"); // the page's first composer: do not steal the focus
      return;
    }
    var focus = event.detail.target.querySelector("[data-autofocus]");
    if (focus) focus.focus({ preventScroll: false });
  });
})();
