// Accessible names that match what the button shows (WCAG 2.5.3, axe: label-content-name-mismatch).
// myst-nb's hidden-cell toggles ("Show code cell source") and the theme's search button carry a
// fixed aria-label ("Toggle hidden content", "Search") that differs from their visible text; a
// speech-input user saying the visible words could not reach them. Drop the fixed label so that the
// visible text is the name. (sphinx-togglebutton's solution buttons show no text of their own: their
// label stays.)
(function () {
  function fix(root) {
    (root || document).querySelectorAll(
      'summary[aria-label="Toggle hidden content"], button.search-button-field[aria-label]'
    ).forEach(function (el) { el.removeAttribute("aria-label"); });
  }
  function start() {
    fix(document);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
