/* Behaviour the pages ask for with data attributes. The Content-Security-Policy allows no inline
   script, handler attribute or style attribute, so pages say what they need and this file does it:
   - data-confirm="Question?" on a form or a submit button: ask before submitting;
   - data-autosubmit on a select: submit its form when it changes;
   - data-history-back on a link: go back in the browser's history (the link's href is the fallback);
   - data-width="42" (percent), data-height="220" (pixels), data-bg-alpha="0.4": sizes and shades;
   - data-scroll-hinted / data-scroll-hint: show the hint only when the table is wider than the screen;
   - data-shown-when="id_category" data-shown-value="change": the box shows only while that field has
     that value (or while it holds an error); without scripts it always shows;
   - data-print on a button: print the page;
   - data-replace-url="/path/" on a page shown again after a refused form: the address becomes that
     page's and the history entry a plain one, so a reload asks for the page, not to resend the form.
   And a page recounted with ?refresh=1 drops it from the address bar, so a reload, a bookmark or a
   shared link reads the kept figures instead of recounting again. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const question = (event.submitter && event.submitter.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  function showWhen(root) {
    root.querySelectorAll("[data-shown-when]").forEach(function (box) {
      const field = document.getElementById(box.dataset.shownWhen);
      if (field) box.hidden = field.value !== box.dataset.shownValue && !box.querySelector(".invalid-feedback");
    });
  }

  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field.id && document.querySelector('[data-shown-when="' + field.id + '"]')) showWhen(document);
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
    const link = event.target.closest && event.target.closest("[data-history-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  function applyLook(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.dataset.width + "%"; });
    root.querySelectorAll("[data-height]").forEach(function (el) { el.style.height = el.dataset.height + "px"; });
    root.querySelectorAll("[data-bg-alpha]").forEach(function (el) {
      el.style.backgroundColor = "rgba(13,110,253," + el.dataset.bgAlpha + ")";
    });
    const box = root.querySelector("[data-scroll-hinted]"), hint = document.querySelector("[data-scroll-hint]");
    if (box && hint) {
      const check = function () { hint.classList.toggle("d-none", box.scrollWidth <= box.clientWidth + 1); };
      check();
      window.addEventListener("resize", check);
    }
  }

  applyLook(document);
  showWhen(document);
  document.addEventListener("htmx:afterSettle", function (event) { applyLook(event.target); });

  const shownAgain = document.querySelector("[data-replace-url]");
  if (shownAgain) {
    window.history.replaceState(window.history.state, "", shownAgain.dataset.replaceUrl + window.location.hash);
  }

  const here = new URL(window.location.href);
  if (here.searchParams.get("refresh") === "1") {
    here.searchParams.delete("refresh");
    window.history.replaceState(window.history.state, "", here.pathname + here.search + here.hash);
  }
})();
