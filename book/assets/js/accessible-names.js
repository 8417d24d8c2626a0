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
  // The sidebar's toggle for a chapter with sections (Chapter 17's projects) is a <summary> that
  // shows only a chevron icon (axe: summary-name). Name it after the chapter it opens.
  function nameToggles(root) {
    (root || document).querySelectorAll("nav details > summary").forEach(function (el) {
      if (el.textContent.trim() || el.hasAttribute("aria-label")) { return; }
      var link = el.parentElement.previousElementSibling;
      var title = link && link.textContent.trim();
      el.setAttribute("aria-label", title ? "Sections of " + title : "Sections");
    });
  }
  function start() {
    fix(document);
    nameToggles(document);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
