// Loaded after require.js and before embed-amd.js, only on pages that embed ipywidgets.
(function () {
  // 1. Each AMD module bundled in embed-amd.js finds its Font Awesome fonts relative to the
  //    module's URL. Without a path for a module require.js guesses "<page folder>/@jupyter-
  //    widgets/...", so the fonts would 404 (the progress bar of tqdm, for one, asks for them).
  //    Point every bundled module (and hence the fonts) at this folder.
  var src = document.currentScript.src;
  var here = src.slice(0, src.lastIndexOf("/") + 1);
  var paths = {};
  ["@jupyter-widgets/base", "@jupyter-widgets/base7", "@jupyter-widgets/controls",
   "@jupyter-widgets/controls7", "@jupyter-widgets/html-manager",
   "@jupyter-widgets/html-manager/dist/libembed-amd"].forEach(function (name) {
    paths[name] = here + "embed-amd";
  });
  window.require.config({ paths: paths });

  // 2. The widgets typeset their labels with the MathJax 2 call MathJax.Hub.Queue(["Typeset",
  //    MathJax.Hub, element]), which throws under MathJax 3 (the book's math). Forward it to
  //    MathJax 3. MathJax is a deferred script, so it exists by DOMContentLoaded, and the
  //    widgets render later, on the window's load event.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.startup || !mj.startup.promise) return;
    mj.Hub = {
      Queue: function (command) {
        var element = command && command[2];
        mj.startup.promise = mj.startup.promise
          .then(function () { return mj.typesetPromise(element ? [element] : undefined); })
          .catch(function (err) { console.warn("MathJax could not typeset a widget label:", err); });
      },
    };
  });
})();
