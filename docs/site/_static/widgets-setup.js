// Loaded on pages with widgets, after require.js and before the widget renderer (see
// docs/site/conf.py, nb_ipywidgets_js).
(function () {
  // 1. The renderer's modules and the fonts they load resolve to _static/vendor/html-manager/,
  //    next to this file, instead of the page's folder or a CDN.
  var here = document.currentScript.src;
  var vendor = here.slice(0, here.lastIndexOf("/") + 1) + "vendor/";
  require.config({paths: {"@jupyter-widgets/html-manager": vendor + "html-manager"}});

  // 2. The renderer typesets the widgets' labels with MathJax 2's MathJax.Hub.Queue; the site
  //    runs MathJax 3, which has no Hub.  Give each MathJax object (the configuration, then
  //    MathJax itself, which replaces it) a Hub whose Queue typesets with MathJax 3.
  function typeset(element) {
    var mathjax = window.MathJax;
    if (element && mathjax && mathjax.typesetPromise && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise = mathjax.startup.promise.then(function () {
        return mathjax.typesetPromise([element]);
      });
    }   // before MathJax has started, its first typeset of the whole page includes the element
  }
  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !mathjax.Hub) {
      Object.defineProperty(mathjax, "Hub", {
        value: {Queue: function (job) { typeset(job && job[2]); }}, enumerable: false});
    }
    return mathjax;
  }
  var current = withHub(window.MathJax || {});
  Object.defineProperty(window, "MathJax", {
    configurable: true, enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
})();
