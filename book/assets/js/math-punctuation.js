// Keep the punctuation that follows inline math on the same line as the math.
// MathJax draws inline math as an inline box, and browsers may break a line between that box and
// a following "," or ".", which then starts the next line. Wrap each inline math element together
// with the punctuation right after it in a no-wrap span. The math element itself is untouched, so
// MathJax typesets it as before (before or after this runs).
(function () {
  var PUNCTUATION = /^[,.;:!?)\]\u2019\u201d]+/;
  function glue() {
    document.querySelectorAll("span.math").forEach(function (math) {
      var next = math.nextSibling;
      if (!next || next.nodeType !== Node.TEXT_NODE) return;
      var match = next.data.match(PUNCTUATION);
      if (!match) return;
      var wrap = document.createElement("span");
      wrap.className = "math-nowrap";
      wrap.style.whiteSpace = "nowrap";
      math.parentNode.insertBefore(wrap, math);
      wrap.appendChild(math);
      wrap.appendChild(document.createTextNode(match[0]));
      next.data = next.data.slice(match[0].length);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", glue);
  } else {
    glue();
  }
})();
