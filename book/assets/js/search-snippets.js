// Search results: show prose around the match, never raw TeX or code.
// Sphinx builds each result's summary from the text of the page's HTML as served, where math is
// still TeX source (MathJax typesets it only when the page itself is shown) and code cells are raw
// code: a reader saw "\end{aligned} \end{split}\]" in the summaries. Before the summary is made,
// formulas, code cells and interactive figures are replaced by an ellipsis.
(function () {
  function patch() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.htmlToText.nnbook) return;
    var original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math, .cell_input, .cell_output, .nnlib-interactive, .highlight")
        .forEach(function (el) { el.replaceWith(doc.createTextNode(" … ")); });
      return original(doc.documentElement.outerHTML, anchor);
    };
    Search.htmlToText.nnbook = true;
  }
  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
