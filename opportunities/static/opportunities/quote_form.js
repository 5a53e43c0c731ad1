/* The quote form's lines, without a library: "Add line" appends an empty row made from the
   formset's empty form (<template data-quote-line-template>, "__prefix__" replaced by the next
   index) and raises TOTAL_FORMS; "Remove" empties a row and hides it (the server leaves empty
   rows out, so a removed saved line is dropped when the draft is saved). Without JavaScript the
   buttons stay hidden and the form works as before. */
(function () {
  "use strict";

  function setup(form) {
    var list = form.querySelector("[data-quote-lines]");
    var template = form.querySelector("template[data-quote-line-template]");
    var total = form.querySelector("input[name$='-TOTAL_FORMS']");
    var maxInput = form.querySelector("input[name$='-MAX_NUM_FORMS']");
    var add = form.querySelector("[data-add-line]");
    var full = form.querySelector("[data-lines-full]");
    if (!list || !template || !total || !add) return;
    var max = parseInt(maxInput ? maxInput.value : "1000", 10);

    function refresh() {
      var atMax = parseInt(total.value, 10) >= max;
      add.disabled = atMax;
      if (full) full.hidden = !atMax;
    }

    function showRemove(row) {
      var button = row.querySelector("[data-remove-line]");
      if (button) button.hidden = false;
    }

    list.querySelectorAll("[data-quote-line]").forEach(showRemove);
    add.hidden = false;
    refresh();

    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (index >= max) return;
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var row = list.lastElementChild;
      showRemove(row);
      refresh();
      var first = row.querySelector("input, select, textarea");
      if (first) {
        first.focus();
        if (first.scrollIntoView) first.scrollIntoView({ block: "nearest" });
      }
    });

    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-line]");
      if (!button) return;
      var row = button.closest("[data-quote-line]");
      row.querySelectorAll("input, select, textarea").forEach(function (field) {
        field.value = "";
      });
      row.hidden = true;
      add.focus();
    });
  }

  document.querySelectorAll("form[data-quote-form]").forEach(setup);
})();
