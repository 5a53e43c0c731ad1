// The top bar's search box: "/" or Ctrl-K (⌘K) focuses it from anywhere; as you type, htmx
// fills the results below it; ↓/↑ walk the results; Enter opens the first (or the chosen) one;
// Escape closes them. Loaded as a static file (the pages' Content-Security-Policy allows no
// inline script).
(function () {
  "use strict";
  const input = document.getElementById("global-search-q");
  const box = document.getElementById("global-search-results");
  if (!input || !box) return;

  const hits = () => Array.from(box.querySelectorAll("a.search-hit"));
  const open = (yes) => {
    box.hidden = !yes;
  };

  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    const ctrlK = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k";
    if (ctrlK || (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey)) {
      event.preventDefault();
      const collapse = input.closest(".collapse");
      if (collapse && !collapse.classList.contains("show") && window.bootstrap) {
        window.bootstrap.Collapse.getOrCreateInstance(collapse).show();
      }
      input.focus();
      input.select();
    }
  });

  input.addEventListener("keydown", (event) => {
    const list = hits();
    if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      open(true);
      list[0].focus();
    } else if (event.key === "Enter" && list.length && !box.hidden) {
      event.preventDefault();
      window.location.assign(list[0].href);
    } else if (event.key === "Escape") {
      open(false);
    }
  });

  box.addEventListener("keydown", (event) => {
    const list = hits();
    const at = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < list.length - 1) {
      event.preventDefault();
      list[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? list[at - 1] : input).focus();
    } else if (event.key === "Escape") {
      open(false);
      input.focus();
    }
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === box) open(box.innerHTML.trim() !== "");
  });
  input.addEventListener("focus", () => { if (box.innerHTML.trim() && input.value.trim()) open(true); });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".global-search")) open(false);
  });
})();
